// Baseline for the NOP benchmark: the same raw syscalls @uring/ring makes (no liburing), in C.
// Usage: nop <seconds> -> prints NOPs/s. Batches of 64, one io_uring_enter per batch.
#include <stdio.h>
#include <stdlib.h>

#include "../../../scripts/bench-ring.h"

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  struct bench_ring r;
  if (bench_ring_init(&r, 64, 0) < 0) { perror("io_uring_setup"); return 1; }
  unsigned tail = atomic_load(r.sq_tail), head = atomic_load(r.cq_head);
  long ops = 0;
  double start = bench_now(), end = start + seconds;
  volatile long sink = 0;
  while (bench_now() < end) {
    for (int k = 0; k < 1000; k++) {
      for (int j = 0; j < 64; j++) {
        struct io_uring_sqe* sqe = &r.sqes[tail & r.sq_mask];
        memset(sqe, 0, sizeof *sqe);
        sqe->opcode = IORING_OP_NOP;
        sqe->fd = -1;
        sqe->user_data = ops + j;
        tail++;
      }
      atomic_store_explicit(r.sq_tail, tail, memory_order_release);
      if (bench_ring_enter(&r, 64, 64, IORING_ENTER_GETEVENTS) < 0) { perror("enter"); return 1; }
      unsigned t = atomic_load_explicit(r.cq_tail, memory_order_acquire);
      for (; head != t; head++) sink += r.cqes[head & r.cq_mask].res + (long)r.cqes[head & r.cq_mask].user_data;
      atomic_store_explicit(r.cq_head, head, memory_order_release);
      ops += 64;
    }
  }
  printf("%.0f\n", ops / (bench_now() - start));
  return 0;
}
