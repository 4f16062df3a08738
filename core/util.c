#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include "util.h"

int lia_verbose;
int lia_quiet;
int lia_progress_open;

void progress_break(void)
{
	if (lia_progress_open) {
		fputc('\n', stderr);
		lia_progress_open = 0;
	}
}

volatile sig_atomic_t lia_interrupted;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	progress_break();
	fprintf(stderr, "lia-core: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;
	if (lia_quiet)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void msg_debug(const char *fmt, ...)
{
	va_list ap;
	if (lia_verbose < 1)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		msg_err("out of memory");
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p) {
		msg_err("out of memory");
		abort();
	}
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p) {
		msg_err("out of memory");
		abort();
	}
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0) {
		msg_err("out of memory");
		abort();
	}
	va_end(ap);
	return p;
}

int mkdir_p(const char *path, mode_t mode)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	char *copy = xstrdup(path);
	char *parent = dirname(copy);
	int r = 0;
	if (strcmp(parent, path) != 0 && strcmp(parent, "/") != 0 && strcmp(parent, ".") != 0)
		r = mkdir_p(parent, 0755);
	free(copy);
	if (r < 0)
		return r;
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -errno;
	chmod(path, mode); /* umask must not weaken 0700 nor strengthen 0755 */
	return 1;
}

double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
