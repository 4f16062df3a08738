/* Small helpers shared by the core: messages, strings, files, phase names. */
#ifndef LIA_CORE_UTIL_H
#define LIA_CORE_UTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <lia/plugin.h>
#include "lifecycle.h"

/* exit codes, documented in lia-core(1) */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

extern int lia_verbose; /* -v count */
extern int lia_quiet;   /* -q */
/* a progress line is drawn on the terminal without its newline yet: anything else printed
 * first calls progress_break(), so that it starts on a line of its own */
extern int lia_progress_open;
void progress_break(void);

#include <signal.h>
/* SIGINT or SIGTERM received (main.c): a pipeline stops before its next step and rolls
 * back as if that step had failed; lia-core then exits 128 + the signal */
extern volatile sig_atomic_t lia_interrupted;

void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mkdir -p with mode for the last component; 0, 1 when created, or -errno */
int mkdir_p(const char *path, mode_t mode);
/* monotonic milliseconds */
double now_ms(void);
/* start time (clock ticks since boot, /proc/PID/stat field 22) or 0 when no such process
 * or a zombie; "PID:START" ledger id alive?  (the host services, which ignore ctx) */
struct lia_ctx;
uint64_t svc_proc_start_time(struct lia_ctx *ctx, pid_t pid);
int svc_pid_alive(struct lia_ctx *ctx, const char *pid_id);
#define proc_start_time(pid) svc_proc_start_time(NULL, (pid))
#define pid_id_alive(id) svc_pid_alive(NULL, (id))

#endif
