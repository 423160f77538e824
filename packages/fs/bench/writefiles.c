// Baseline for the writeFile benchmark, in C: what this machine allows without JavaScript and
// without a ring. Usage: writefiles <dir> <seconds> <count> [trunc|cut] -> prints files/s.
// For <seconds>, writes 4 KiB files c0 … c<count-1> in <dir> over and over, one at a time, from
// one thread, each with
//   trunc (the default): open(O_WRONLY|O_CREAT|O_TRUNC) → write(4096) → close — what
//          fs.writeFileSync and node:fs/promises' writeFile do;
//   cut:   open(O_WRONLY|O_CREAT) → write(4096) → ftruncate(4096) → close — the system calls
//          @uring/fs's writeFile puts on the ring (ext4 truncating to zero is the costly part).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: writefiles <dir> <seconds> <count> [trunc|cut]\n");
    return 2;
  }
  const double seconds = atof(argv[2]);
  const long count = atol(argv[3]);
  const int cut = argc > 4 && strcmp(argv[4], "cut") == 0;
  char data[4096], path[4096];
  memset(data, 3, sizeof data);
  long files = 0;
  const double start = now(), end = start + seconds;
  while (now() < end) {
    for (int k = 0; k < 64; k++, files++) {
      snprintf(path, sizeof path, "%s/c%ld", argv[1], files % count);
      const int fd = open(path, O_WRONLY | O_CREAT | (cut ? 0 : O_TRUNC), 0644);
      if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data || (cut && ftruncate(fd, sizeof data) != 0) || close(fd) != 0) {
        perror(path);
        return 1;
      }
    }
  }
  printf("%.0f\n", files / (now() - start));
  return 0;
}
