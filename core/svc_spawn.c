/* Running a program by argv for a plugin (posix_spawn, no shell). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "svc_helpers.h"
#include "util.h"

extern char **environ;

int svc_run(struct lia_ctx *ctx, const char *const argv[], char *out, size_t outlen, int *status)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ctx->host->error(ctx, -errno, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e != 0) {
		close(pfd[0]);
		return ctx->host->error(ctx, -e, "cannot run %s: %s", argv[0], strerror(e));
	}
	size_t used = 0;
	char sink[4096];
	for (;;) {
		char *dst = sink;
		size_t room = sizeof(sink);
		if (out && used + 1 < outlen) {
			dst = out + used;
			room = outlen - used - 1;
		}
		ssize_t n = read(pfd[0], dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			used += (size_t)n;
	}
	if (out && outlen)
		out[used] = 0;
	close(pfd[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return ctx->host->error(ctx, -errno, "waiting for %s: %s", argv[0], strerror(errno));
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}
