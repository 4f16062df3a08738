/* vmm-gc: kill VMMs and remove control sockets that no VM record owns. */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm-gc.h"
#include "vmm-proc.h"

static void kill_orphans(struct lia_ctx *ctx, const struct vmm_gc *g, const char *dir)
{
	char sock[PATH_MAX];
	size_t dl = strlen(dir);
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (!g->socket_of(e->d_name, sock, sizeof(sock)))
			continue;
		if (strncmp(sock, dir, dl) || sock[dl] != '/' || ctx->host->ledger_owned(ctx, "socket", sock))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		uint64_t start;
		int z = 0, st;
		if (vmm_starttime(pid, &start, &z) < 0 || z)
			continue;
		if (ctx->host->dry_run(ctx)) {
			ctx->host->note(ctx, "kill orphaned %s pid %d (%s)", g->vmm, (int)pid, sock);
			continue;
		}
		if (vmm_kill(pid, start, SIGKILL) == 0) {
			vmm_wait_exit(pid, start, 5000, &st);
			ctx->host->note(ctx, "killed orphaned %s pid %d (%s)", g->vmm, (int)pid, sock);
		}
	}
	if (d)
		closedir(d);
}

static void remove_sockets(struct lia_ctx *ctx, const struct vmm_gc *g, const char *dir)
{
	char sock[PATH_MAX];
	size_t sl = strlen(g->suffix);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l <= sl || strcmp(e->d_name + l - sl, g->suffix))
			continue;
		if (snprintf(sock, sizeof(sock), "%s/%s", dir, e->d_name) >= (int)sizeof(sock))
			continue;
		if (ctx->host->ledger_owned(ctx, "socket", sock))
			continue;
		if (ctx->host->dry_run(ctx)) {
			ctx->host->note(ctx, "remove orphaned %s %s", g->socket, sock);
			continue;
		}
		vmm_unlink_socket(sock);
		ctx->host->note(ctx, "removed orphaned %s %s", g->socket, sock);
	}
	if (d)
		closedir(d);
}

int vmm_gc_orphans(struct lia_ctx *ctx, const struct vmm_gc *g)
{
	char dir[PATH_MAX];
	if (ctx->host->path(ctx, dir, sizeof(dir), "sockets"))
		return LIA_OK;
	kill_orphans(ctx, g, dir);
	remove_sockets(ctx, g, dir);
	return LIA_OK;
}
