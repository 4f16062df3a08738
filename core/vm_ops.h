/* The VM operations create, start, stop and destroy, as the command line (and anything
 * else that drives lia) calls them.  Each takes the VM's lock, checks the recorded state
 * against the lifecycle table, runs the pipeline and saves every state change, checked.
 * They print their messages and return an exit code: 0, EXIT_FAIL or EXIT_USAGE. */
#ifndef LIA_CORE_VM_OPS_H
#define LIA_CORE_VM_OPS_H
#include "app.h"

struct vm_spec {
	int64_t vcpus, mem_mib, volume_mib; /* 0: the lia block's default */
	const char *ssh_key;                /* key text, or NULL */
};

int vm_op_create(struct app *a, const char *name, const struct vm_spec *spec);
int vm_op_start(struct app *a, const char *name);
/* several VMs in one command: their records saved with one group commit before and one
 * after their pipelines (state_group.c), instead of a flush per record */
int vm_op_start_many(struct app *a, char **names, int n);
int vm_op_stop(struct app *a, const char *name, int force);
int vm_op_stop_many(struct app *a, char **names, int n, int force); /* likewise */
int vm_op_destroy(struct app *a, const char *name);

/* the stop pipeline on an open, locked record (vm stop, vm destroy, gc) */
int vm_pipeline_stop(struct app *a, struct vm_record *r, int force);
/* run a pipeline of the lifecycle table on a record */
int vm_run_pipeline(struct app *a, struct vm_record *r, const struct pipeline_def *pd, int force,
		    int no_rollback, const char *label);
/* set the state and save the record; a failed save is printed: 0 or EXIT_FAIL */
int vm_save_state(struct vm_record *r, enum vm_state s);
/* open and lock a record by name, printing why not: 0, EXIT_FAIL, EXIT_USAGE */
int vm_open_locked(struct app *a, const char *name, struct vm_record **r);
int vm_name_or_usage(const char *name); /* 0, or EXIT_USAGE after saying why */
/* the state a reader should believe: a running VM whose process died is stopped */
const char *vm_effective_state(struct vm_record *r);

#endif
