// The C baselines' shared ring (packages/*/bench/*.c, compiled by cProgram() in bench-harness.mjs):
// io_uring_setup and the two mmaps, the raw syscalls @uring/ring makes (no liburing), and a
// monotonic clock. Header-only: each baseline is one source file for `cc`.
#ifndef URING_BENCH_RING_H
#define URING_BENCH_RING_H

#include <linux/io_uring.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct bench_ring {
  int fd;
  char* base; // the SQ/CQ ring mapping
  _Atomic unsigned *sq_tail, *cq_head, *cq_tail;
  struct io_uring_sqe* sqes;
  struct io_uring_cqe* cqes;
  unsigned sq_mask, cq_mask;
};

/** io_uring_setup(entries, flags) and the mappings, the SQ array filled 1:1; -1 on failure (errno set). */
static inline int bench_ring_init(struct bench_ring* r, unsigned entries, unsigned flags) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = flags;
  r->fd = syscall(__NR_io_uring_setup, entries, &p);
  if (r->fd < 0) return -1;
  size_t sq_len = p.sq_off.array + p.sq_entries * 4, cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  r->base = mmap(0, sq_len > cq_len ? sq_len : cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  r->sqes = mmap(0, p.sq_entries * sizeof *r->sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  if (r->base == MAP_FAILED || r->sqes == MAP_FAILED) return -1;
  r->sq_tail = (void*)(r->base + p.sq_off.tail);
  r->cq_head = (void*)(r->base + p.cq_off.head);
  r->cq_tail = (void*)(r->base + p.cq_off.tail);
  r->cqes = (void*)(r->base + p.cq_off.cqes);
  r->sq_mask = p.sq_entries - 1;
  r->cq_mask = p.cq_entries - 1;
  unsigned* array = (void*)(r->base + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  return 0;
}

/** io_uring_enter(to_submit, min_complete, flags) without a signal mask. */
static inline int bench_ring_enter(struct bench_ring* r, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return syscall(__NR_io_uring_enter, r->fd, to_submit, min_complete, flags, NULL, 0);
}

/** CLOCK_MONOTONIC in seconds. */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
