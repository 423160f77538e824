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
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int ring_fd;
static _Atomic unsigned *sq_tail, *cq_head, *cq_tail;
static struct io_uring_sqe* sqes;
static struct io_uring_cqe* cqes;
static unsigned sq_mask, cq_mask, tail, head;

static int ring_setup(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  ring_fd = syscall(__NR_io_uring_setup, 8, &p);
  if (ring_fd < 0) return -1;
  size_t sq_len = p.sq_off.array + p.sq_entries * 4, cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t len = sq_len > cq_len ? sq_len : cq_len;
  char* ring = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
  sqes = mmap(0, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
  if (ring == MAP_FAILED || sqes == MAP_FAILED) return -1;
  sq_tail = (void*)(ring + p.sq_off.tail);
  cq_head = (void*)(ring + p.cq_off.head);
  cq_tail = (void*)(ring + p.cq_off.tail);
  cqes = (void*)(ring + p.cq_off.cqes);
  sq_mask = p.sq_entries - 1;
  cq_mask = p.cq_entries - 1;
  unsigned* array = (void*)(ring + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  return 0;
}

/** Submits one SQE and waits for its completion; returns its res. */
static int ring_run(unsigned char opcode, int file, char* buf, unsigned len) {
  struct io_uring_sqe* sqe = &sqes[tail++ & sq_mask];
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = opcode;
  sqe->fd = file;
  sqe->addr = (unsigned long)buf;
  sqe->len = len;
  if (opcode == IORING_OP_FSYNC)
    sqe->fsync_flags = IORING_FSYNC_DATASYNC; // off 0, len 0: the whole file
  else
    sqe->off = (unsigned long long)-1; // the file position (O_APPEND: the end)
  atomic_store_explicit(sq_tail, tail, memory_order_release);
  if (syscall(__NR_io_uring_enter, ring_fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -1;
  while (atomic_load_explicit(cq_tail, memory_order_acquire) == head)
    if (syscall(__NR_io_uring_enter, ring_fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -1;
  int res = cqes[head & cq_mask].res;
  atomic_store_explicit(cq_head, ++head, memory_order_release);
  return res;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: appends <file> <seconds> ring|sync\n");
    return 2;
  }
  const int ring = strcmp(argv[3], "ring") == 0;
  const int file = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (file < 0 || (ring && ring_setup() < 0)) {
    perror(argv[1]);
    return 1;
  }
  static char data[BLOCK];
  memset(data, 7, sizeof data);
  long writes = 0;
  const double start = now(), end = start + atof(argv[2]);
  while (now() < end) {
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
  printf("%.0f\n", writes / (now() - start));
  return 0;
}
