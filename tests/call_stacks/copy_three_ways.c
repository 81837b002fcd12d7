/* copy_three_ways SRC DST: copies SRC to DST three times, each by another method in a function of its own,
 * so that a test knows which function moved which bytes: copy_by_read_write (a 64 KiB read/write loop),
 * copy_by_sendfile (sendfile to the end) and copy_by_mmap_write (one write from a mapping of SRC). Built with
 * frame pointers; with COPY_SHARED_LIBRARY the three functions are in a shared library (copy_methods.c). */
#include <stdio.h>
#include <stdlib.h>

#include "copy_methods.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: copy_three_ways SRC DST\n");
    return 2;
  }
  if (copy_by_read_write(argv[1], argv[2]) || copy_by_sendfile(argv[1], argv[2]) ||
      copy_by_mmap_write(argv[1], argv[2]))
    return 1;
  return 0;
}
