// Baseline for the echo benchmark: an echo server in C on the ring operations @uring/net uses —
// multishot accept, multishot recv over a provided-buffer ring, send — with raw syscalls (no
// liburing), one io_uring_enter per batch, a COOP_TASKRUN | TASKRUN_FLAG ring like the loop's.
// What a server can cost per round trip on this machine without JavaScript.
// Usage: echo -> listens on 127.0.0.1, an ephemeral port, printed on stdout; each line read from
// stdin makes it print its CPU time in microseconds, user and system (getrusage); exits at EOF on stdin.
// Built for the benchmark's 64-byte ping-pong: each receive is sent back whole from a
// per-connection buffer before the peer sends again.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "../../../scripts/bench-ring.h"

#define BUFFERS 256
#define BUFFER_SIZE 4096
#define MAX_FD 65536
#define MESSAGE_MAX 256
#define GROUP 1

enum { ACCEPT, RECV, SEND, CONTROL };

static struct bench_ring r;
static unsigned sq_tail;
static struct io_uring_buf_ring* buf_ring;
static char* buffers;
static unsigned short buf_tail;
static char out[MAX_FD][MESSAGE_MAX];

static struct io_uring_sqe* get_sqe(int kind, int fd) {
  struct io_uring_sqe* sqe = &r.sqes[sq_tail++ & r.sq_mask];
  memset(sqe, 0, sizeof *sqe);
  sqe->fd = fd;
  sqe->user_data = ((unsigned long)kind << 32) | (unsigned)fd;
  return sqe;
}

/** Gives buffer `bid` back to the kernel (io_uring_buf_ring_add + advance). */
static void provide(unsigned short bid) {
  struct io_uring_buf* buf = &buf_ring->bufs[buf_tail & (BUFFERS - 1)];
  buf->addr = (unsigned long)(buffers + bid * BUFFER_SIZE);
  buf->len = BUFFER_SIZE;
  buf->bid = bid;
  buf_tail++;
  atomic_store_explicit((_Atomic unsigned short*)&buf_ring->tail, buf_tail, memory_order_release);
}

static void accept_multishot(int listener) {
  struct io_uring_sqe* sqe = get_sqe(ACCEPT, listener);
  sqe->opcode = IORING_OP_ACCEPT;
  sqe->ioprio = IORING_ACCEPT_MULTISHOT;
}

static char control[64];

/** Reads the next request for the CPU time from stdin. */
static void read_control(void) {
  struct io_uring_sqe* sqe = get_sqe(CONTROL, 0);
  sqe->opcode = IORING_OP_READ;
  sqe->addr = (unsigned long)control;
  sqe->len = sizeof control;
  sqe->off = -1;
}

static void recv_multishot(int fd) {
  struct io_uring_sqe* sqe = get_sqe(RECV, fd);
  sqe->opcode = IORING_OP_RECV;
  sqe->ioprio = IORING_RECV_MULTISHOT;
  sqe->flags = IOSQE_BUFFER_SELECT;
  sqe->buf_group = GROUP;
}

int main(void) {
  int one = 1;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (bind(listener, (void*)&addr, sizeof addr) < 0 || listen(listener, 511) < 0 || getsockname(listener, (void*)&addr, &len) < 0) {
    perror("listen");
    return 1;
  }

  if (bench_ring_init(&r, 256, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG) < 0) { perror("io_uring_setup"); return 1; }
  const int ring_fd = r.fd;

  buf_ring = mmap(0, BUFFERS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  buffers = aligned_alloc(4096, BUFFERS * BUFFER_SIZE);
  struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)buf_ring, .ring_entries = BUFFERS, .bgid = GROUP};
  if (buf_ring == MAP_FAILED || syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) {
    perror("IORING_REGISTER_PBUF_RING");
    return 1;
  }
  for (unsigned bid = 0; bid < BUFFERS; bid++) provide(bid);

  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  accept_multishot(listener);
  read_control();
  unsigned head = 0, submitted = 0;
  for (;;) {
    atomic_store_explicit(r.sq_tail, sq_tail, memory_order_release);
    if (bench_ring_enter(&r, sq_tail - submitted, 1, IORING_ENTER_GETEVENTS) < 0 && errno != EINTR) {
      perror("io_uring_enter");
      return 1;
    }
    submitted = sq_tail;
    unsigned tail = atomic_load_explicit(r.cq_tail, memory_order_acquire);
    for (; head != tail; head++) {
      struct io_uring_cqe* cqe = &r.cqes[head & r.cq_mask];
      int kind = cqe->user_data >> 32, fd = (int)(cqe->user_data & 0xffffffff);
      int more = cqe->flags & IORING_CQE_F_MORE;
      if (kind == CONTROL) {
        if (cqe->res <= 0) return 0;
        struct rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        printf("%ld %ld\n", usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec, usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec);
        fflush(stdout);
        read_control();
      } else if (kind == ACCEPT) {
        if (cqe->res >= 0 && cqe->res < MAX_FD) {
          setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          recv_multishot(cqe->res);
        } else if (cqe->res >= 0) close(cqe->res);
        if (!more) accept_multishot(listener);
      } else if (kind == RECV) {
        if (cqe->res > 0) {
          unsigned short bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
          int n = cqe->res > MESSAGE_MAX ? MESSAGE_MAX : cqe->res;
          memcpy(out[fd], buffers + bid * BUFFER_SIZE, n);
          provide(bid);
          struct io_uring_sqe* sqe = get_sqe(SEND, fd);
          sqe->opcode = IORING_OP_SEND;
          sqe->addr = (unsigned long)out[fd];
          sqe->len = n;
        } else if (cqe->res != -ENOBUFS) {
          if (!more) close(fd);
          continue;
        }
        if (!more) recv_multishot(fd);
      }
    }
    atomic_store_explicit(r.cq_head, head, memory_order_release);
  }
}
