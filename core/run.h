/* Pipelines: ordered steps [phase, plugin, hook], run with rollback, or printed (--dry-run). */
#ifndef LIA_CORE_RUN_H
#define LIA_CORE_RUN_H
#include "app.h"

struct step {
	struct loaded_plugin *lp;
	const struct lia_hook *hook;
	lia_phase_t phase;
	int priority;
	int warn; /* on_error = "warn" */
};

struct plan {
	struct step *steps;
	size_t n;
	int undo; /* teardown: call undo() instead of run() */
};

/* phases in pipeline order; `only` (may be NULL) filters them */
void plan_build(struct app *a, const lia_phase_t *phases, size_t nphases, int undo, const lia_phase_t *only,
		size_t nonly, struct plan *out);
void plan_free(struct plan *p);
/* the plan of a pipeline of the lifecycle table */
void plan_pipeline(struct app *a, const struct pipeline_def *pd, int undo, struct plan *out);

struct run_opts {
	const char *pipeline; /* "setup", "teardown", "vm", "gc": what logs and plugins see */
	struct vm_record *vm;
	int force;
	int no_rollback; /* gc of abandoned work: keep going */
	/* from plan_prepare: for each step, the ledger entries its prepare() added (or NULL);
	 * plan_run removes those of a step that does not run, fails or skips */
	json_t **prepared;
};

/* Run (or, with a->dry_run, print) the plan.  0, or EXIT_FAIL after rollback. */
int plan_run(struct app *a, struct plan *p, const struct run_opts *o);
/* Call undo() of every step in reverse (abandoned work, gc).  Returns failures count. */
int plan_undo_all(struct app *a, struct plan *p, const struct run_opts *o);

/* Call the prepare() of every step (ABI 2.1) for o->vm: they add ledger entries without a
 * save; the caller saves the record (with its state change, or a batch's group commit)
 * before plan_run.  Sets o->prepared.  0, or EXIT_FAIL (said) with every entry prepared
 * removed again. */
int plan_prepare(struct app *a, struct plan *p, struct run_opts *o);
/* the entries prepared for steps from..p->n-1 removed (in memory); o->prepared freed when
 * from is 0 */
void plan_prepared_drop(struct plan *p, struct run_opts *o, size_t from);
/* every opened plugin's flush() (ABI 2.1): work its hooks deferred; failures are warnings */
void plan_flush(struct app *a);

#endif
