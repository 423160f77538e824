// How soon the eventfd registered with a ring (IORING_REGISTER_EVENTFD) says that a poll-driven
// completion is there — what wakes @uring/loop inside libuv's epoll_wait. Per round: a POLL_ADD
// on an empty pipe is submitted, one byte is written to the pipe, and the time until the eventfd
// is readable is taken. For a COOP_TASKRUN | TASKRUN_FLAG ring (the loop's default) and a
// SINGLE_ISSUER | DEFER_TASKRUN | TASKRUN_FLAG one, whose readiness work waits for GETEVENTS and
// whose eventfd signal for it arrived an RCU grace period late on 6.18.
// Usage: defer-wake <rounds> -> "coop_p50 coop_p99 defer_p50 defer_p99" in µs; -1s where a ring
// could not be made (a kernel before 6.1).
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "../../../scripts/bench-ring.h"

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/** Wake-up latencies in µs of `rounds` rounds on a ring with `flags`, sorted; 0 on success. */
static int measure(unsigned flags, int rounds, double* us) {
  struct bench_ring r;
  if (bench_ring_init(&r, 8, flags) < 0) return -1;
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), pipefd[2];
  if (efd < 0 || pipe(pipefd) < 0) return -1;
  if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_EVENTFD, &efd, 1) < 0) return -1;
  for (int k = 0; k < rounds; k++) {
    unsigned tail = atomic_load_explicit(r.sq_tail, memory_order_relaxed);
    struct io_uring_sqe* sqe = &r.sqes[tail & r.sq_mask];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = pipefd[0];
    sqe->poll32_events = POLLIN;
    atomic_store_explicit(r.sq_tail, tail + 1, memory_order_release);
    if (bench_ring_enter(&r, 1, 0, 0) != 1) return -1;
    unsigned long long count;
    while (read(efd, &count, sizeof count) == sizeof count) {
    }
    double start = bench_now();
    if (write(pipefd[1], "x", 1) != 1) return -1;
    struct pollfd p = {efd, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) return -1;
    us[k] = (bench_now() - start) * 1e6;
    bench_ring_enter(&r, 0, 1, IORING_ENTER_GETEVENTS); // runs the deferred work: the CQE is posted
    atomic_store_explicit(r.cq_head, atomic_load_explicit(r.cq_tail, memory_order_acquire), memory_order_release);
    char byte;
    if (read(pipefd[0], &byte, 1) != 1) return -1;
  }
  qsort(us, rounds, sizeof *us, cmp);
  close(pipefd[0]);
  close(pipefd[1]);
  close(efd);
  close(r.fd);
  return 0;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  if (rounds < 1) return 2;
  double* us = calloc(rounds, sizeof *us);
  const unsigned rings[2] = {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
                             IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG};
  for (int i = 0; i < 2; i++) {
    if (measure(rings[i], rounds, us) == 0) printf("%.1f %.1f%s", us[rounds / 2], us[(rounds - 1) * 99 / 100], i ? "\n" : " ");
    else printf("-1 -1%s", i ? "\n" : " ");
  }
  return 0;
}
