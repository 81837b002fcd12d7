/* The three copy methods of copy_three_ways, each in a function of its own. 0 on success. */
#ifndef COPY_METHODS_H
#define COPY_METHODS_H

int copy_by_read_write(const char* src, const char* dst);
int copy_by_sendfile(const char* src, const char* dst);
int copy_by_mmap_write(const char* src, const char* dst);

#endif
