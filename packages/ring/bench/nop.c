// Baseline for the NOP benchmark: the same raw syscalls @uring/ring makes (no liburing), in C.
// Usage: nop <seconds> -> prints NOPs/s. Batches of 64, one io_uring_enter per batch.
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = syscall(__NR_io_uring_setup, 64, &p);
  if (fd < 0) { perror("io_uring_setup"); return 1; }
  size_t sq_len = p.sq_off.array + p.sq_entries * 4, cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t len = sq_len > cq_len ? sq_len : cq_len;
  char* ring = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  struct io_uring_sqe* sqes = mmap(0, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (ring == MAP_FAILED || sqes == MAP_FAILED) { perror("mmap"); return 1; }
  _Atomic unsigned* sq_tail = (void*)(ring + p.sq_off.tail);
  unsigned* sq_mask = (void*)(ring + p.sq_off.ring_mask);
  unsigned* array = (void*)(ring + p.sq_off.array);
  _Atomic unsigned* cq_head = (void*)(ring + p.cq_off.head);
  _Atomic unsigned* cq_tail = (void*)(ring + p.cq_off.tail);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  unsigned tail = atomic_load(sq_tail), head = atomic_load(cq_head);
  long ops = 0;
  double start = now(), end = start + seconds;
  volatile long sink = 0;
  while (now() < end) {
    for (int k = 0; k < 1000; k++) {
      for (int j = 0; j < 64; j++) {
        struct io_uring_sqe* sqe = &sqes[tail & *sq_mask];
        memset(sqe, 0, sizeof *sqe);
        sqe->opcode = IORING_OP_NOP;
        sqe->fd = -1;
        sqe->user_data = ops + j;
        tail++;
      }
      atomic_store_explicit(sq_tail, tail, memory_order_release);
      if (syscall(__NR_io_uring_enter, fd, 64, 64, IORING_ENTER_GETEVENTS, NULL, 0) < 0) { perror("enter"); return 1; }
      unsigned t = atomic_load_explicit(cq_tail, memory_order_acquire);
      struct io_uring_cqe* cqes = (void*)(ring + p.cq_off.cqes);
      unsigned mask = *(unsigned*)(ring + p.cq_off.ring_mask);
      for (; head != t; head++) sink += cqes[head & mask].res + (long)cqes[head & mask].user_data;
      atomic_store_explicit(cq_head, head, memory_order_release);
      ops += 64;
    }
  }
  printf("%.0f\n", ops / (now() - start));
  return 0;
}
