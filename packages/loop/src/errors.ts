import type { SupportReport } from '@uring/abi';

/** Node's AbortError: `name: 'AbortError'`, `code: 'ABORT_ERR'`, the signal's reason as `cause`. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** An operation was started on a loop that is closing or closed. */
export class LoopClosedError extends Error {
  readonly code = 'ERR_URING_LOOP_CLOSED';
  constructor() {
    super('The io_uring loop is closed');
    this.name = 'LoopClosedError';
  }
}

/**
 * The process changed its credentials after the loop's ring was created. A ring acts with the
 * credentials of its creator (CVE-2024-22017), so the loop refuses to submit on it.
 */
export class CredentialsChangedError extends Error {
  readonly code = 'ERR_URING_CREDENTIALS_CHANGED';
  constructor(detail: string) {
    super(
      `The process credentials changed (${detail}) after this io_uring loop was created. A ring keeps ` +
        `the credentials it was created with (CVE-2024-22017), so this loop no longer submits; ` +
        `getLoop() returns a new loop with the current credentials.`,
    );
    this.name = 'CredentialsChangedError';
  }
}

/** io_uring cannot be used here; `reason` and `report` say why (from `support()`), so callers can fall back. */
export class UringUnavailableError extends Error {
  readonly code = 'ERR_URING_UNAVAILABLE';
  readonly reason: string;
  readonly report: SupportReport;
  constructor(report: SupportReport, cause?: unknown) {
    super(`io_uring is unavailable: ${report.message}`, { cause });
    this.name = 'UringUnavailableError';
    this.reason = report.reason ?? 'other';
    this.report = report;
  }
}
