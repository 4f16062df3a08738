/* The one table of lia's life cycle: phases and their names, the pipelines and the phases
 * they run, the VM states, and what each VM operation and gc do from each state.
 * Adding a phase or a pipeline touches this table (and <lia/plugin.h> for its number). */
#ifndef LIA_CORE_LIFECYCLE_H
#define LIA_CORE_LIFECYCLE_H
#include <stddef.h>
#include <lia/plugin.h>

const char *phase_name(lia_phase_t p);
lia_phase_t phase_from_name(const char *name); /* LIA_PHASE_NONE when unknown */
int phase_known(lia_phase_t p);
/* stop, net-down and destroy run their plugins in reverse order */
int phase_runs_reversed(lia_phase_t p);

struct pipeline_def {
	const char *name; /* "setup", "create", "start", "stop", "destroy", "gc" */
	const lia_phase_t *phases;
	size_t n;
};
extern const struct pipeline_def PIPE_SETUP, PIPE_CREATE, PIPE_START, PIPE_STOP, PIPE_DESTROY, PIPE_GC;
extern const struct pipeline_def *const lia_pipelines[]; /* NULL-terminated, for listings */
const struct pipeline_def *pipeline_of_phase(lia_phase_t p);

enum vm_state {
	VM_UNKNOWN = 0, /* not one of the names below: a damaged record */
	VM_CREATING,
	VM_CREATED,
	VM_STARTING,
	VM_RUNNING,
	VM_STOPPING,
	VM_STOPPED,
	VM_DESTROYING,
	VM_FAILED,
};
const char *vm_state_name(enum vm_state s);
enum vm_state vm_state_from_name(const char *name);
/* a state that a lia-core is in the middle of (gc finishes or undoes it) */
int vm_state_transient(enum vm_state s);

/* What gc does with a VM whose record was left in a transient state by a dead lia-core. */
enum gc_action {
	GC_NONE,
	GC_UNDO_DELETE,    /* undo the pipeline's hooks in reverse; delete the record when the
			 * ledger ends empty */
	GC_FORWARD_DELETE, /* run the pipeline forward (no rollback); delete when empty */
	GC_UNDO_TO,        /* undo the pipeline's hooks; set state `to` */
	GC_STOP,           /* run the stop pipeline, forced; state stopped */
};
struct gc_rule {
	enum vm_state from;
	enum gc_action action;
	const struct pipeline_def *pipeline;
	enum vm_state to;
	const char *says; /* "was left half created; undoing it" */
};
const struct gc_rule *gc_rule_for(enum vm_state s);
extern const struct gc_rule lia_gc_rules[]; /* ends with from == VM_UNKNOWN */

#endif
