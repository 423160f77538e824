// Baselines for the random-read benchmark, in C: what this machine allows without JavaScript.
// Usage: reads <file> <seconds> ring|fixed|pread -> prints reads/s.
//   ring:  random 4 KiB reads at queue depth 32 through io_uring, the same raw syscalls
//          @uring/ring makes (no liburing): one io_uring_enter(to_submit, 1, GETEVENTS) per batch,
//          each completion replaced by a new read at once.
//   fixed: the same with a registered file and registered buffers (IOSQE_FIXED_FILE and
//          IORING_OP_READ_FIXED): the cheapest reads the ring offers.
//   pread: the same reads one pread(2) at a time.
// Offsets come from the same xorshift32 as the JavaScript side (scripts/bench-harness.mjs).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "../../../scripts/bench-ring.h"

#define DEPTH 32
#define BLOCK 4096

static unsigned x = 12345;
static long blocks;
static int fixed;

static long next_offset(void) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return (long)(x % blocks) * BLOCK;
}

static double pread_loop(int file, char* buf, double seconds) {
  long ops = 0;
  double start = bench_now(), end = start + seconds;
  while (bench_now() < end) {
    for (int k = 0; k < 256; k++)
      if (pread(file, buf, BLOCK, next_offset()) != BLOCK) return -1;
    ops += 256;
  }
  return ops / (bench_now() - start);
}

/** A 4 KiB read at a random offset into the slot's own block of `buf`; user_data names the slot. */
static void prep_read(struct io_uring_sqe* sqe, int file, char* buf, unsigned slot) {
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = fixed ? IORING_OP_READ_FIXED : IORING_OP_READ;
  sqe->fd = fixed ? 0 : file; // registered file 0
  if (fixed) sqe->flags = IOSQE_FIXED_FILE; // buf_index 0: the one registered buffer
  sqe->addr = (unsigned long)(buf + slot * BLOCK);
  sqe->len = BLOCK;
  sqe->off = next_offset();
  sqe->user_data = slot;
}

static double ring_loop(int file, char* buf, double seconds) {
  struct bench_ring r;
  if (bench_ring_init(&r, 64, 0) < 0) return -1;
  const int fd = r.fd;
  if (fixed) {
    struct iovec iov = {buf, DEPTH * BLOCK};
    if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0) return -1;
    if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_FILES, &file, 1) < 0) return -1;
  }
  unsigned tail = 0, head = 0, to_submit = 0;
  for (unsigned slot = 0; slot < DEPTH; slot++) {
    prep_read(&r.sqes[tail++ & r.sq_mask], file, buf, slot);
    to_submit++;
  }
  long ops = 0;
  double start = bench_now(), end = start + seconds;
  while (bench_now() < end) {
    for (int k = 0; k < 100; k++) {
      atomic_store_explicit(r.sq_tail, tail, memory_order_release);
      if (bench_ring_enter(&r, to_submit, 1, IORING_ENTER_GETEVENTS) < 0) return -1;
      to_submit = 0;
      unsigned t = atomic_load_explicit(r.cq_tail, memory_order_acquire);
      for (; head != t; head++) {
        struct io_uring_cqe* cqe = &r.cqes[head & r.cq_mask];
        if (cqe->res != BLOCK) return -1;
        prep_read(&r.sqes[tail++ & r.sq_mask], file, buf, (unsigned)cqe->user_data);
        to_submit++;
        ops++;
      }
      atomic_store_explicit(r.cq_head, head, memory_order_release);
    }
  }
  double rate = ops / (bench_now() - start);
  close(fd);
  return rate;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: reads <file> <seconds> ring|fixed|pread\n");
    return 2;
  }
  int file = open(argv[1], O_RDONLY);
  if (file < 0) { perror("open"); return 1; }
  blocks = lseek(file, 0, SEEK_END) / BLOCK;
  char* buf = aligned_alloc(BLOCK, DEPTH * BLOCK);
  double seconds = atof(argv[2]);
  fixed = strcmp(argv[3], "fixed") == 0;
  double rate = fixed || strcmp(argv[3], "ring") == 0 ? ring_loop(file, buf, seconds) : pread_loop(file, buf, seconds);
  if (rate < 0) { perror(argv[3]); return 1; }
  printf("%.0f\n", rate);
  return 0;
}
