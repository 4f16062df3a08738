/* `lia-core gc`: finish or undo work that a dead lia-core left half done, then let every
 * plugin remove host objects that no VM record's ledger owns. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "state_index.h"
#include "run.h"
#include "util.h"
#include "vm_ops.h"

static int undo_pipeline(struct app *a, struct vm_record *r, const struct pipeline_def *pd)
{
	struct plan p;
	plan_pipeline(a, pd, 0, &p);
	struct run_opts o = { .pipeline = "gc", .vm = r, .force = 1 };
	int bad = plan_undo_all(a, &p, &o);
	plan_free(&p);
	return bad;
}

static int delete_if_empty(struct vm_record *r)
{
	if (json_array_size(json_object_get(r->root, "ledger")) != 0)
		return -1;
	int e = record_delete(r);
	if (e < 0)
		fprintf(stderr, "lia-core: gc: cannot remove the record %s: %s\n", r->path, strerror(-e));
	return e < 0 ? -1 : 0;
}

static int owner_alive(struct vm_record *r)
{
	json_t *o = json_object_get(r->root, "owner");
	json_int_t pid = json_integer_value(json_object_get(o, "pid"));
	json_int_t st = json_integer_value(json_object_get(o, "start"));
	if (pid <= 0)
		return 0;
	unsigned long long now = proc_start_time((pid_t)pid);
	return now != 0 && (json_int_t)now == st;
}

/* returns 1 when something was done to this record */
static int reconcile(struct app *a, const char *name, int *failures)
{
	struct vm_record *r;
	/* a VM whose lock is held is being worked on by a live lia-core: leave it */
	int e = record_open(&a->st, name, 1, 1, &r);
	if (e == -EBADMSG) {
		/* load_json named the file and the parse error; gc must not say all is well */
		msg_err("gc: the record of VM '%s' is corrupt: gc cannot tell what it owns; repair or remove it",
			name);
		(*failures)++;
		return 0;
	}
	if (e == -EWOULDBLOCK || e == -EAGAIN || e < 0)
		return 0;
	enum vm_state st = rec_state(r);
	if (owner_alive(r)) {
		record_close(r);
		return 0;
	}
	/* the lifecycle table says what to do with each state left behind */
	const struct gc_rule *g = gc_rule_for(st);
	if (!g || (st == VM_RUNNING && record_process_alive(r) != 0)) {
		record_close(r);
		return 0;
	}
	msg_info("gc: VM '%s' %s", name, g->says);
	int bad = 0;
	switch (g->action) {
	case GC_UNDO_DELETE: bad = undo_pipeline(a, r, g->pipeline) || delete_if_empty(r) < 0; break;
	case GC_FORWARD_DELETE:
		bad = vm_run_pipeline(a, r, g->pipeline, 1, 1, "gc") || delete_if_empty(r) < 0;
		break;
	case GC_UNDO_TO:
		/* a failed undo keeps the state it found, so the next gc retries what the
		 * ledger still holds */
		bad = undo_pipeline(a, r, g->pipeline) != 0 || vm_save_state(r, g->to) != 0;
		break;
	case GC_STOP: bad = vm_pipeline_stop(a, r, 1) != 0; break;
	case GC_NONE: break;
	}
	if (bad)
		(*failures)++;
	int acted = 1;
	record_close(r);
	return acted;
}

int cmd_gc(struct app *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			a->dry_run = 1;
		else if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else {
			fprintf(stderr, "usage: lia-core gc [--dry-run] [--json]\n");
			return EXIT_USAGE;
		}
	}
	int rc = app_load(a);
	if (rc || (rc = app_open_plugins(a)))
		return rc;
	int failures = 0, acted = 0;
	/* the records' index checked against every record's stamp (it catches a record edited
	 * in place, which a create does not look for): the gc hooks ask it what is owned */
	struct state_index *x;
	if (state_lock(&a->st) == 0) {
		sidx_verify(&a->st, &x);
		state_unlock(&a->st);
	}
	char **names;
	size_t n;
	record_names(&a->st, &names, &n);
	for (size_t i = 0; i < n; i++) {
		if (!a->dry_run)
			acted += reconcile(a, names[i], &failures);
		free(names[i]);
	}
	free(names);
	if (!a->dry_run) {
		int swept = state_sweep(&a->st);
		if (swept)
			msg_info("gc: removed %d leftover temp or lock file(s) in %s (vms/, host/)", swept,
				 a->st.dir);
	}
	struct plan p;
	plan_pipeline(a, &PIPE_GC, 0, &p);
	struct run_opts o = { .pipeline = "gc", .no_rollback = 1 };
	if (plan_run(a, &p, &o))
		failures++;
	plan_free(&p);
	if (a->json)
		printf("{\"reconciled\": %d, \"failures\": %d, \"dry_run\": %s}\n", acted, failures,
		       a->dry_run ? "true" : "false");
	else if (!lia_quiet)
		printf("gc: %d VM record(s) reconciled, %d failure(s)\n", acted, failures);
	return failures ? EXIT_FAIL : 0;
}
