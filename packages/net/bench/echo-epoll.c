// Baseline for the echo benchmark: an echo server in C the way libuv serves node:net — nonblocking
// sockets, level-triggered epoll, read(2) and write(2) per message — with no JavaScript at all.
// What a syscall server can cost per round trip on this machine: the floor under node:net's own,
// beside echo.c's on the ring.
// Usage: echo-epoll -> listens on 127.0.0.1, an ephemeral port, printed on stdout; each line read
// from stdin makes it print its CPU time in microseconds, user and system (getrusage); exits at EOF
// on stdin. Built for the benchmark's 64-byte ping-pong: each read is written back whole.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define EVENTS 256

static void watch(int epoll, int fd) {
  struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

int main(void) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, length) < 0 || listen(listener, 511) < 0) return perror("listen"), 1;
  getsockname(listener, (struct sockaddr *)&address, &length);
  printf("%d\n", ntohs(address.sin_port));
  fflush(stdout);

  int epoll = epoll_create1(EPOLL_CLOEXEC);
  watch(epoll, listener);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  watch(epoll, 0);
  struct epoll_event events[EVENTS];
  static char buffer[65536];
  for (;;) {
    int n = epoll_wait(epoll, events, EVENTS, -1);
    if (n < 0 && errno != EINTR) return perror("epoll_wait"), 1;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        for (int c; (c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) watch(epoll, c);
      } else if (fd == 0) {
        ssize_t r = read(0, buffer, sizeof buffer);
        if (r == 0) return 0;
        if (r > 0) {
          struct rusage usage;
          getrusage(RUSAGE_SELF, &usage);
          printf("%ld %ld\n", usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec, usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec);
          fflush(stdout);
        }
      } else {
        ssize_t r = read(fd, buffer, sizeof buffer);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) {
          close(fd); // closing removes it from the epoll set
          continue;
        }
        for (ssize_t sent = 0, k; sent < r && (k = write(fd, buffer + sent, r - sent)) > 0;) sent += k;
      }
    }
  }
}
