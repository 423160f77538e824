/** uring-demo — filled by its own issue. */
export {};
