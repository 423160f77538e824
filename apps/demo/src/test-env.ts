/**
 * The environment for tools that are not Node (curl, cc, the seccomp helper) in tests: without the
 * AddressSanitizer preload and addon that scripts/sanitize.mjs sets, which such tools hang under.
 */
export function toolEnv(): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, URING_ADDON: _addon, ...rest } = process.env;
  return rest;
}
