/*
 * tskube's pause: PID 1 of a pod's shared PID namespace (pod-init.ts runs it as /pause), the
 * role of Kubernetes' pause container (build/pause/linux/pause.c), written for tskube with the
 * same behaviour as a user sees it:
 *   - SIGINT and SIGTERM end it with status 0 (after "Shutting down, got signal: <name>");
 *   - SIGCHLD reaps every child that has ended, the orphans the pod's containers leave to the
 *     namespace's init included, so no zombie stays;
 *   - otherwise it sleeps in pause() for ever;
 *   - "-v" (any case, anywhere in its arguments) prints "pause.c <version>" and exits 0.
 * Built static by scripts/build-pause.sh (nothing else in its root to load from).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "tskube"
#endif

static void on_shutdown(int sig) {
  psignal(sig, "Shutting down, got signal");
  exit(0);
}

static void on_child(int sig) {
  int saved = errno;
  (void)sig;
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid <= 0) break;
  }
  errno = saved;
}

static int handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcasecmp(argv[i], "-v") == 0) {
      printf("pause.c %s\n", PAUSE_VERSION);
      return 0;
    }
  }
  if (getpid() != 1) fprintf(stderr, "Warning: pause should be the first process\n");

  if (handle(SIGINT, on_shutdown, 0) != 0) return 1;
  if (handle(SIGTERM, on_shutdown, 0) != 0) return 2;
  if (handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) != 0) return 3;
  /* Children that ended before the handler was set are reaped too. */
  on_child(SIGCHLD);

  for (;;) pause();
}
