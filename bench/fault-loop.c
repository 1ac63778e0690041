// Benchmark workload: takes page faults as fast as one core can, a fixed amount of
// work per run, so tracer overhead shows both in the kernel's BPF accounting and in
// wall time. Used by bench/probe-cost.ts.
//
//   fault-loop ANON_MIB ROUNDS [KERNEL_MIB FILE_PATH FILE_MIB]
//
// Each round:
//   anon    mmap ANON_MIB of fresh anonymous memory (huge pages off), write one
//           byte per 4 KiB page (one user page fault each: exceptions:page_fault_user),
//           munmap;
//   kernel  mmap KERNEL_MIB and read() /dev/zero into it, so copy_to_user takes the
//           faults (exceptions:page_fault_kernel), munmap;
//   file    mmap FILE_PATH (FILE_MIB, created once, on a disk filesystem: tmpfs
//           faults do not reach filemap_fault) MAP_PRIVATE and write one byte per page:
//           a private write fault on a file page goes through filemap_fault
//           (filemap:mm_filemap_fault) and then copies the page, munmap.
// At the end it prints one line of JSON:
//   {"rounds":R,"wallNs":N,"cpuNs":C,"minorFaults":M,"majorFaults":J}
// wallNs and cpuNs (user + system time, getrusage) cover the rounds only (not setup);
// faults come from getrusage. cpuNs is what a probe adds in the faulting task (BPF
// programs and perf's ring-buffer writes run there), and is steadier than wallNs on
// a shared machine.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L
#define MIB (1024L * 1024L)

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long tv_ns(struct timeval tv) {
  return tv.tv_sec * 1000000000L + tv.tv_usec * 1000L;
}

static char *map_anon(long bytes) {
  char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  madvise(p, bytes, MADV_NOHUGEPAGE);
  return p;
}

static void anon_round(long bytes) {
  char *p = map_anon(bytes);
  for (long off = 0; off < bytes; off += PAGE) p[off] = 1;
  munmap(p, bytes);
}

static void kernel_round(long bytes, int zero_fd) {
  char *p = map_anon(bytes);
  for (long off = 0; off < bytes;) {
    ssize_t n = read(zero_fd, p + off, bytes - off);
    if (n <= 0) { perror("read /dev/zero"); exit(1); }
    off += n;
  }
  munmap(p, bytes);
}

static void file_round(int fd, long bytes) {
  char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) { perror("mmap file"); exit(1); }
  for (long off = 0; off < bytes; off += PAGE) p[off] = 1;
  munmap(p, bytes);
}

static int open_file(const char *path, long bytes) {
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0) { perror(path); exit(1); }
  if (ftruncate(fd, bytes) != 0) { perror("ftruncate"); exit(1); }
  // fill it so the pages are in the page cache (not holes): faults are minor
  char block[PAGE];
  for (long i = 0; i < PAGE; i++) block[i] = (char)i;
  for (long off = 0; off < bytes; off += PAGE) {
    if (pwrite(fd, block, PAGE, off) != PAGE) { perror("pwrite"); exit(1); }
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: fault-loop ANON_MIB ROUNDS [KERNEL_MIB FILE_PATH FILE_MIB]\n");
    return 2;
  }
  long anon = atol(argv[1]) * MIB;
  long rounds = atol(argv[2]);
  long kernel = argc > 3 ? atol(argv[3]) * MIB : 0;
  const char *file_path = argc > 4 ? argv[4] : NULL;
  long file = argc > 5 ? atol(argv[5]) * MIB : 0;
  int zero_fd = open("/dev/zero", O_RDONLY);
  int file_fd = file_path && file > 0 ? open_file(file_path, file) : -1;

  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  long start = now_ns();
  for (long r = 0; r < rounds; r++) {
    if (anon > 0) anon_round(anon);
    if (kernel > 0) kernel_round(kernel, zero_fd);
    if (file_fd >= 0) file_round(file_fd, file);
  }
  long wall = now_ns() - start;
  getrusage(RUSAGE_SELF, &after);
  long cpu = tv_ns(after.ru_utime) + tv_ns(after.ru_stime) - tv_ns(before.ru_utime) - tv_ns(before.ru_stime);
  printf("{\"rounds\":%ld,\"wallNs\":%ld,\"cpuNs\":%ld,\"minorFaults\":%ld,\"majorFaults\":%ld}\n", rounds, wall, cpu,
         after.ru_minflt - before.ru_minflt, after.ru_majflt - before.ru_majflt);
  if (file_path) unlink(file_path);
  return 0;
}
