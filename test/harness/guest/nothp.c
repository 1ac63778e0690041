/*
 * nothp: exec a program with transparent huge pages disabled for it, so that QEMU's
 * guest RAM is faulted in 4 KiB pages (PR_SET_THP_DISABLE is inherited across fork
 * and kept across execve). Built by test/harness/qemu-guest.ts into test/.assets/nothp.
 *
 * It also sets PR_SET_PDEATHSIG=SIGKILL (kept across execve of a non-setuid binary),
 * so the program dies with the test process that spawned it even if that process is
 * SIGKILLed and never runs its exit handlers.
 *
 * usage: nothp [--keep-thp] PROGRAM [ARG...]
 *   --keep-thp  leave THP alone, only set the parent-death signal
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

int main(int argc, char **argv) {
  int i = 1, keep_thp = 0;
  if (i < argc && strcmp(argv[i], "--keep-thp") == 0) { keep_thp = 1; i++; }
  if (i >= argc) {
    fprintf(stderr, "usage: nothp [--keep-thp] PROGRAM [ARG...]\n");
    return 2;
  }
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    fprintf(stderr, "nothp: prctl(PR_SET_PDEATHSIG): %s\n", strerror(errno));
    return 1;
  }
  if (getppid() != parent) return 1; /* the parent died before the prctl */
  if (!keep_thp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
    fprintf(stderr, "nothp: prctl(PR_SET_THP_DISABLE): %s\n", strerror(errno));
    return 1;
  }
  execvp(argv[i], argv + i);
  fprintf(stderr, "nothp: exec %s: %s\n", argv[i], strerror(errno));
  return 127;
}
