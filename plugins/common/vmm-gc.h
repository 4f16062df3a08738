/* vmm-gc: the gc hook the VMM drivers share.  A VMM whose control socket lies in
 * state_dir/sockets but that no VM record's ledger owns (its lia-core died before the
 * record was saved, or the record was lost) is killed; then every such socket that no
 * record owns is removed.  A start in progress has its socket in the ledger before it
 * spawns, so it is never touched. */
#ifndef LIA_VMM_GC_H
#define LIA_VMM_GC_H
#include <stddef.h>

#include <lia/plugin.h>

struct vmm_gc {
	const char *vmm;    /* named in notes: "firecracker", "QEMU" */
	const char *socket; /* named in notes: "API socket", "QMP socket" */
	const char *suffix; /* the control sockets' file suffix in state_dir/sockets: ".api" */
	/* the control socket path of process pid (a name in /proc): 1, or 0 when pid is not
	 * such a VMM */
	int (*socket_of)(const char *pid, char *out, size_t outlen);
};

/* LIA_OK; dry run: notes what it would kill and remove, and does nothing */
int vmm_gc_orphans(struct lia_ctx *ctx, const struct vmm_gc *g);

#endif
