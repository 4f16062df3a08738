/* vmm-record: a VMM process in its VM's record, the same way in every VMM driver.  The
 * record keys are PREFIX.pid, PREFIX.pid_start and PREFIX.exit_status ("fc", "qemu"); the
 * ledger entry is "pid" = "PID:STARTTIME", saved before anything else can fail. */
#ifndef LIA_VMM_RECORD_H
#define LIA_VMM_RECORD_H
#include <stdint.h>
#include <sys/types.h>

#include <lia/plugin.h>

/* Record a just-spawned process (*start is filled).  When the record cannot be saved the
 * process is killed, so no untracked VMM is left: then -errno. */
int vmm_record_process(struct lia_ctx *ctx, const char *prefix, pid_t pid, uint64_t *start);

/* SIGKILL the process unless it is gone, and wait 5 s for it: 1 when gone (*status, and
 * *killed set when our signal ended it), 0 when it still lives (e.g. in D state). */
int vmm_kill_reap(pid_t pid, uint64_t start, int *status, int *killed);

/* The process ended with status: record PREFIX.exit_status, drop its ledger entry and pid
 * keys, and log it naming the VMM and the VM. */
void vmm_forget_process(struct lia_ctx *ctx, const char *prefix, const char *vmm, pid_t pid, uint64_t start,
			int status);

#endif
