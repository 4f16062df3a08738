/* `lia-core gc`: finish or undo work that a dead lia-core left half done, then let every
 * plugin remove host objects that no VM record's ledger owns. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "run.h"
#include "util.h"

static const enum lia_phase create_ph[] = { LIA_PHASE_CREATE };
static const enum lia_phase start_ph[] = { LIA_PHASE_NET_UP, LIA_PHASE_BOOT, LIA_PHASE_STARTED };
static const enum lia_phase destroy_ph[] = { LIA_PHASE_DESTROY };
static const enum lia_phase gc_ph[] = { LIA_PHASE_GC };

static int undo_phases(struct app *a, struct vm_record *r, const enum lia_phase *ph, size_t n)
{
	struct plan p;
	plan_build(a, ph, n, 0, NULL, 0, &p);
	struct run_opts o = { .pipeline = "gc", .vm = r, .force = 1 };
	int bad = plan_undo_all(a, &p, &o);
	plan_free(&p);
	return bad;
}

static int forward(struct app *a, struct vm_record *r, const enum lia_phase *ph, size_t n)
{
	struct plan p;
	plan_build(a, ph, n, 0, NULL, 0, &p);
	struct run_opts o = { .pipeline = "gc", .vm = r, .force = 1, .no_rollback = 1 };
	int rc = plan_run(a, &p, &o);
	plan_free(&p);
	return rc;
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
	if (e == -EWOULDBLOCK || e == -EAGAIN || e < 0)
		return 0;
	const char *st = rec_state(r);
	int acted = 0;
	if (!st || owner_alive(r)) {
		record_close(r);
		return 0;
	}
	if (strcmp(st, "creating") == 0 || strcmp(st, "failed") == 0) {
		msg_info("gc: VM '%s' was left half created; undoing it", name);
		int bad = undo_phases(a, r, create_ph, 1);
		if (!bad && json_array_size(json_object_get(r->root, "ledger")) == 0)
			record_delete(r);
		else
			(*failures)++;
		acted = 1;
	} else if (strcmp(st, "destroying") == 0) {
		msg_info("gc: VM '%s' was left half destroyed; finishing", name);
		if (forward(a, r, destroy_ph, 1) == 0 && json_array_size(json_object_get(r->root, "ledger")) == 0)
			record_delete(r);
		else
			(*failures)++;
		acted = 1;
	} else if (strcmp(st, "starting") == 0) {
		msg_info("gc: VM '%s' was left half started; undoing the start", name);
		if (undo_phases(a, r, start_ph, 3))
			(*failures)++;
		rec_set_state(r, "stopped");
		record_save(r);
		acted = 1;
	} else if (strcmp(st, "stopping") == 0 || (strcmp(st, "running") == 0 && record_process_alive(r) == 0)) {
		msg_info("gc: VM '%s' is not running any more; reclaiming its resources", name);
		if (vm_pipeline_stop(a, r, 1))
			(*failures)++;
		acted = 1;
	}
	record_close(r);
	return acted;
}

int cmd_gc(struct app *a, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: lia-core gc\n");
		return EXIT_USAGE;
	}
	int rc = app_load(a);
	if (rc || (rc = app_open_plugins(a)))
		return rc;
	int failures = 0, acted = 0;
	char **names;
	size_t n;
	record_names(&a->st, &names, &n);
	for (size_t i = 0; i < n; i++) {
		if (!a->dry_run)
			acted += reconcile(a, names[i], &failures);
		free(names[i]);
	}
	free(names);
	struct plan p;
	plan_build(a, gc_ph, 1, 0, NULL, 0, &p);
	struct run_opts o = { .pipeline = "gc", .no_rollback = 1 };
	if (plan_run(a, &p, &o))
		failures++;
	plan_free(&p);
	if (!lia_quiet && !a->json)
		printf("gc: %d VM record(s) reconciled, %d failure(s)\n", acted, failures);
	return failures ? EXIT_FAIL : 0;
}
