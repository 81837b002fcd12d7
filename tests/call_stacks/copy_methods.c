#include "copy_methods.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static int open_pair(const char* src, const char* dst, int* in, int* out) {
  *in = open(src, O_RDONLY);
  *out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (*in < 0 || *out < 0) {
    perror("open");
    return -1;
  }
  return 0;
}

NOINLINE int copy_by_read_write(const char* src, const char* dst) {
  static char buffer[65536];
  int in, out;
  ssize_t n;

  if (open_pair(src, dst, &in, &out))
    return -1;
  while ((n = read(in, buffer, sizeof(buffer))) > 0) {
    if (write(out, buffer, (size_t)n) != n)
      return -1;
  }
  close(in);
  close(out);
  return n < 0 ? -1 : 0;
}

NOINLINE int copy_by_sendfile(const char* src, const char* dst) {
  int in, out;
  ssize_t n;

  if (open_pair(src, dst, &in, &out))
    return -1;
  while ((n = sendfile(out, in, NULL, 1 << 20)) > 0)
    ;
  close(in);
  close(out);
  return n < 0 ? -1 : 0;
}

NOINLINE int copy_by_mmap_write(const char* src, const char* dst) {
  struct stat st;
  int in, out;
  void* map;

  if (open_pair(src, dst, &in, &out) || fstat(in, &st))
    return -1;
  map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, in, 0);
  if (map == MAP_FAILED)
    return -1;
  if (write(out, map, (size_t)st.st_size) != st.st_size)
    return -1;
  munmap(map, (size_t)st.st_size);
  close(in);
  close(out);
  return 0;
}
