/* vmm-record.c - see vmm-record.h */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

#include "vmm-proc.h"
#include "vmm-record.h"

static void key(char *buf, size_t len, const char *prefix, const char *name)
{
	snprintf(buf, len, "%s.%s", prefix, name);
}

int vmm_record_process(struct lia_ctx *ctx, const char *prefix, pid_t pid, uint64_t *start)
{
	char id[64], k[64];
	int z = 0;
	*start = 0;
	vmm_starttime(pid, start, &z);
	snprintf(id, sizeof(id), "%d:%" PRIu64, (int)pid, *start);
	key(k, sizeof(k), prefix, "pid");
	ctx->host->vm_set_int(ctx, k, pid);
	key(k, sizeof(k), prefix, "pid_start");
	ctx->host->vm_set_int(ctx, k, (int64_t)*start);
	int r = ctx->host->ledger_add(ctx, "pid", id);
	if (r < 0) {
		int st, killed;
		vmm_kill_reap(pid, *start, &st, &killed);
		key(k, sizeof(k), prefix, "pid");
		ctx->host->vm_set(ctx, k, NULL);
		key(k, sizeof(k), prefix, "pid_start");
		ctx->host->vm_set(ctx, k, NULL);
	}
	return r;
}

int vmm_kill_reap(pid_t pid, uint64_t start, int *status, int *killed)
{
	*killed = 0;
	if (vmm_wait_exit(pid, start, 0, status))
		return 1;
	if (vmm_kill(pid, start, SIGKILL) == 0)
		*killed = 1;
	return vmm_wait_exit(pid, start, 5000, status);
}

void vmm_forget_process(struct lia_ctx *ctx, const char *prefix, const char *vmm, pid_t pid, uint64_t start,
			int status)
{
	char id[64], k[64];
	key(k, sizeof(k), prefix, "exit_status");
	ctx->host->vm_set_int(ctx, k, status);
	snprintf(id, sizeof(id), "%d:%" PRIu64, (int)pid, start);
	ctx->host->ledger_del(ctx, "pid", id);
	key(k, sizeof(k), prefix, "pid");
	ctx->host->vm_set(ctx, k, NULL);
	key(k, sizeof(k), prefix, "pid_start");
	ctx->host->vm_set(ctx, k, NULL);
	ctx->host->log(ctx, LIA_LOG_INFO, "%s (pid %d) of VM '%s' ended, status %d", vmm, (int)pid,
		       ctx->host->vm_name(ctx), status);
}
