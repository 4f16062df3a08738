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
};

/* Run (or, with a->dry_run, print) the plan.  0, or EXIT_FAIL after rollback. */
int plan_run(struct app *a, struct plan *p, const struct run_opts *o);
/* Call undo() of every step in reverse (abandoned work, gc).  Returns failures count. */
int plan_undo_all(struct app *a, struct plan *p, const struct run_opts *o);

#endif
