// seccomp-run ERRNO COMMAND [ARG...]: runs COMMAND under a seccomp filter that fails
// io_uring_setup(2) with ERRNO (a number) and allows every other system call — what Docker's
// default profile does with EPERM. Used by hostile.test.ts to prove the fallbacks.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: seccomp-run ERRNO COMMAND [ARG...]\n");
    return 2;
  }
  unsigned int err = (unsigned int)atoi(argv[1]) & SECCOMP_RET_DATA;
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("seccomp-run: installing the filter");
    return 1;
  }
  execvp(argv[2], argv + 2);
  perror("seccomp-run: exec");
  return 127;
}
