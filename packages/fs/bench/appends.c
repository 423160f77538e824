// Baselines for the appends benchmark, in C: what this machine allows without JavaScript.
// Usage: appends <file> <seconds> ring|sync -> prints writes/s.
// For <seconds>, appends 4 KiB to <file> (opened O_WRONLY|O_CREAT|O_APPEND, as flags 'a' do),
// one write at a time, with an fdatasync after every 100 — the benchmark's workload — through
//   ring: io_uring, the raw syscalls @uring/ring makes (no liburing): each write (and each
//         fdatasync) one io_uring_enter(1, 1, GETEVENTS) that submits it and sleeps in the kernel
//         until its completion. On a filesystem without NOWAIT buffered writes (ext4) the kernel
//         hands every write to an io-wq worker: this is the cheapest that handoff gets.
//   sync: write(2) and fdatasync(2) on the calling thread — no handoff at all, what a thread
//         pool's worker does once it has the job.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../scripts/bench-ring.h"

#define BLOCK 4096

static struct bench_ring ring_;
static unsigned tail, head;

/** Submits one SQE and waits for its completion; returns its res. */
static int ring_run(unsigned char opcode, int file, char* buf, unsigned len) {
  struct io_uring_sqe* sqe = &ring_.sqes[tail++ & ring_.sq_mask];
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = opcode;
  sqe->fd = file;
  sqe->addr = (unsigned long)buf;
  sqe->len = len;
  if (opcode == IORING_OP_FSYNC)
    sqe->fsync_flags = IORING_FSYNC_DATASYNC; // off 0, len 0: the whole file
  else
    sqe->off = (unsigned long long)-1; // the file position (O_APPEND: the end)
  atomic_store_explicit(ring_.sq_tail, tail, memory_order_release);
  if (bench_ring_enter(&ring_, 1, 1, IORING_ENTER_GETEVENTS) < 0) return -1;
  while (atomic_load_explicit(ring_.cq_tail, memory_order_acquire) == head)
    if (bench_ring_enter(&ring_, 0, 1, IORING_ENTER_GETEVENTS) < 0) return -1;
  int res = ring_.cqes[head & ring_.cq_mask].res;
  atomic_store_explicit(ring_.cq_head, ++head, memory_order_release);
  return res;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: appends <file> <seconds> ring|sync\n");
    return 2;
  }
  const int ring = strcmp(argv[3], "ring") == 0;
  const int file = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (file < 0 || (ring && bench_ring_init(&ring_, 8, 0) < 0)) {
    perror(argv[1]);
    return 1;
  }
  static char data[BLOCK];
  memset(data, 7, sizeof data);
  long writes = 0;
  const double start = bench_now(), end = start + atof(argv[2]);
  while (bench_now() < end) {
    for (int k = 0; k < 100; k++) {
      if ((ring ? ring_run(IORING_OP_WRITE, file, data, BLOCK) : write(file, data, BLOCK)) != BLOCK) {
        perror("write");
        return 1;
      }
    }
    writes += 100;
    const int synced = ring ? ring_run(IORING_OP_FSYNC, file, NULL, 0) : fdatasync(file);
    if (synced != 0) {
      fprintf(stderr, "fdatasync: %d\n", synced);
      return 1;
    }
  }
  printf("%.0f\n", writes / (bench_now() - start));
  return 0;
}
