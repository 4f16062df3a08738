/* vmm-proc: the VMM process of a VM (firecracker, QEMU), shared by the VMM drivers.  Identity is always pid + start time (field 22 of
 * /proc/PID/stat), never the pid alone, and nothing here needs the process to be our
 * child: after a lia-core restart the VMM belongs to init. */
#ifndef LIA_VMM_PROC_H
#define LIA_VMM_PROC_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Start argv[0] in its own session (it must outlive lia-core) with stdin /dev/null and
 * stdout+stderr appended to console_fd; no other descriptor is inherited.  Returns 0 or
 * a positive errno (err says why). */
int vmm_spawn(const char *const argv[], int console_fd, pid_t *pid, char *err, size_t errlen);

/* Start time of pid in clock ticks; 0 and sets *zombie when known.  -ESRCH when gone. */
int vmm_starttime(pid_t pid, uint64_t *start, int *zombie);

/* 1: that process (pid with that start time) exists and is not a zombie; 0: gone. */
int vmm_alive(pid_t pid, uint64_t start);

/* Wait until path accepts a connection (the file exists before the server listens),
 * up to timeout_ms.  Returns 0; -ETIMEDOUT; or -ECHILD when pid died first (then
 * *status holds its wait status or -1). */
int vmm_wait_socket(const char *path, pid_t pid, uint64_t start, long timeout_ms, int *status);

/* Wait up to timeout_ms for the process to end.  Returns 1 when it is gone (*status =
 * exit code, 128+signal, or -1 when unknown because it is not our child), 0 on timeout. */
int vmm_wait_exit(pid_t pid, uint64_t start, long timeout_ms, int *status);

/* SIGKILL that process (pid + start time checked through a pidfd, so a recycled pid is
 * never hit).  0, or -ESRCH when it is already gone. */
int vmm_kill(pid_t pid, uint64_t start, int sig);

/* Last line(s) of a log file, squashed to one line, at most outlen-1 bytes. */
void vmm_log_tail(const char *path, char *out, size_t outlen);

/* The number after the last `key` (e.g. "exit_code=") in the tail of a log file; -1 when
 * none. */
int vmm_log_last_int(const char *path, const char *key);

/* The argv element that follows `flag` in /proc/PID/cmdline, copied to out: 1, or 0 when
 * the process has no such argument (or is gone, or out is too small). */
int vmm_proc_arg(const char *pid, const char *flag, char *out, size_t outlen);

/* Remove path if it is a socket or a symbolic link (never a regular file someone put
 * there): VMMs never remove their own sockets. */
void vmm_unlink_socket(const char *path);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t vmm_now_ms(void);

#endif
