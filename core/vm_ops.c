#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "run.h"
#include "util.h"
#include "vm_ops.h"

int vm_name_or_usage(const char *name)
{
	if (vm_name_valid(name))
		return 0;
	fprintf(stderr, "lia-core: '%s' is not a VM name: use 1-32 characters of a-z, 0-9 and '-'\n", name);
	return EXIT_USAGE;
}

static int name_or_fail(struct app *a, const char *name)
{
	int rc = vm_name_or_usage(name);
	if (rc)
		app_fail(a, "bad_name", NULL, NULL,
			 "'%s' is not a VM name: use 1-32 characters of a-z, 0-9 and '-'", name);
	return rc;
}

static void set_owner(struct vm_record *r)
{
	/* read /proc/self/stat once per process, not once per VM of a batch (a forked
	 * worker is another process: the pid is checked) */
	static pid_t pid;
	static uint64_t start;
	if (pid != getpid() || start == 0) {
		pid = getpid();
		start = proc_start_time(pid);
	}
	json_object_set_new(r->root, "owner",
			    json_pack("{s:I,s:I}", "pid", (json_int_t)pid, "start", (json_int_t)start));
}

/* a kill point for the crash tests: LIA_TEST_CORE_STALL=FILE, LIA_TEST_CORE_STALL_AT=WHERE:
 * at WHERE, create FILE and wait to be killed */
static void test_stall(const char *where)
{
	const char *f = getenv("LIA_TEST_CORE_STALL"), *at = getenv("LIA_TEST_CORE_STALL_AT");
	if (!f || !*f || !at || strcmp(at, where) != 0)
		return;
	int fd = open(f, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 600; i++)
		sleep(1);
}

int vm_save_state(struct vm_record *r, enum vm_state s)
{
	rec_set_state(r, s);
	int e = record_save(r);
	if (e < 0) {
		fprintf(stderr, "lia-core: cannot write the record of VM '%s' (%s) in state %s: %s\n",
			r->name, r->path, vm_state_name(s), strerror(-e));
		return EXIT_FAIL;
	}
	return 0;
}

int vm_run_pipeline(struct app *a, struct vm_record *r, const struct pipeline_def *pd, int force,
		    int no_rollback, const char *label)
{
	struct plan p;
	plan_pipeline(a, pd, 0, &p);
	struct run_opts o = { .pipeline = label, .vm = r, .force = force, .no_rollback = no_rollback };
	int rc = plan_run(a, &p, &o);
	plan_free(&p);
	return rc;
}

int vm_open_locked(struct app *a, const char *name, struct vm_record **r)
{
	int rc = name_or_fail(a, name);
	if (rc)
		return rc;
	int e = record_open(&a->st, name, 1, 0, r);
	if (e == -ENOENT) {
		fprintf(stderr, "lia-core: no VM named '%s' (see `lia-core vm list`)\n", name);
		app_fail(a, "no_such_vm", NULL, NULL, "no VM named '%s'", name);
		return EXIT_FAIL;
	}
	if (e == -EACCES) {
		fprintf(stderr,
			"lia-core: permission denied: cannot open the record of VM '%s' in %s (run as root)\n",
			name, a->st.vms);
		return EXIT_FAIL;
	}
	if (e < 0) {
		fprintf(stderr, "lia-core: cannot open the record of VM '%s': %s\n", name, strerror(-e));
		app_fail(a, "record_error", NULL, NULL, "cannot open the record of VM '%s': %s", name,
			 strerror(-e));
		return EXIT_FAIL;
	}
	return 0;
}

const char *vm_effective_state(struct vm_record *r)
{
	enum vm_state st = rec_state(r);
	if (st == VM_RUNNING && record_process_alive(r) == 0)
		return vm_state_name(VM_STOPPED);
	return rec_state_name(r);
}

int vm_op_create(struct app *a, const char *name, const struct vm_spec *spec)
{
	int rc = name_or_fail(a, name);
	if (rc || (rc = app_load(a)))
		return rc;
	int64_t vcpus = spec->vcpus ? spec->vcpus : strtoll(config_global(&a->cfg, "vcpus"), NULL, 10);
	int64_t mem = spec->mem_mib ? spec->mem_mib : strtoll(config_global(&a->cfg, "mem_mib"), NULL, 10);
	int64_t vol =
		spec->volume_mib ? spec->volume_mib : strtoll(config_global(&a->cfg, "volume_mib"), NULL, 10);
	json_t *fields = json_pack("{s:I,s:I,s:I}", "vcpus", (json_int_t)vcpus, "mem_mib", (json_int_t)mem,
				   "volume_mib", (json_int_t)vol);
	if (spec->ssh_key)
		json_object_set_new(fields, "ssh_key", json_string(spec->ssh_key));
	if ((rc = app_open_plugins(a))) {
		json_decref(fields);
		return rc;
	}
	if (a->dry_run) {
		struct plan p;
		plan_pipeline(a, &PIPE_CREATE, 0, &p);
		struct run_opts o = { .pipeline = "vm", .vm = NULL };
		rc = plan_run(a, &p, &o);
		plan_free(&p);
		json_decref(fields);
		return rc;
	}
	struct vm_record *r;
	int e = record_create(&a->st, name, fields, &r);
	json_decref(fields);
	if (e == -EEXIST) {
		fprintf(stderr, "lia-core: VM '%s' already exists\n", name);
		app_fail(a, "vm_exists", NULL, NULL, "VM '%s' already exists", name);
		return EXIT_FAIL;
	}
	if (e < 0) {
		fprintf(stderr, "lia-core: cannot create the record of VM '%s' in %s: %s\n", name, a->st.vms,
			strerror(-e));
		app_fail(a, "record_error", NULL, NULL, "cannot create the record of VM '%s' in %s: %s", name,
			 a->st.vms, strerror(-e));
		return EXIT_FAIL;
	}
	rc = vm_run_pipeline(a, r, &PIPE_CREATE, 0, 0, "vm");
	plan_flush(a);
	if (rc) {
		/* the hooks that ran were undone: the record goes too, nothing is left */
		if (json_array_size(json_object_get(r->root, "ledger")) == 0) {
			record_delete(r);
		} else {
			vm_save_state(r, VM_FAILED);
			fprintf(stderr,
				"lia-core: VM '%s' keeps objects that could not be removed; `lia-core gc` retries\n",
				name);
		}
	} else {
		rc = vm_save_state(r, VM_CREATED);
		if (!rc && !lia_quiet && !a->json)
			printf("created VM '%s'\n", name);
	}
	record_close(r);
	return rc;
}

int vm_op_start(struct app *a, const char *name)
{
	struct vm_record *r;
	int rc = app_load(a);
	if (rc || (rc = vm_open_locked(a, name, &r)))
		return rc;
	enum vm_state st = rec_state(r);
	if (st == VM_RUNNING && record_process_alive(r) != 0) {
		if (!lia_quiet)
			printf("VM '%s' is already running\n", name);
		record_close(r);
		return 0;
	}
	if (st != VM_CREATED && st != VM_STOPPED && st != VM_RUNNING) {
		fprintf(stderr,
			"lia-core: VM '%s' is %s; run `lia-core gc` to finish or undo the interrupted work\n",
			name, rec_state_name(r));
		app_fail(a, "wrong_state", NULL, NULL,
			 "VM '%s' is %s; `lia-core gc` finishes or undoes the interrupted work", name,
			 rec_state_name(r));
		record_close(r);
		return EXIT_FAIL;
	}
	if ((rc = app_open_plugins(a))) {
		record_close(r);
		return rc;
	}
	if (a->dry_run) {
		rc = vm_run_pipeline(a, r, &PIPE_START, 0, 0, "vm");
		record_close(r);
		return rc;
	}
	set_owner(r);
	json_object_del(r->root, "last_error");
	/* the ledger entries the hooks will need, then one save with "starting" */
	struct plan p;
	plan_pipeline(a, &PIPE_START, 0, &p);
	struct run_opts o = { .pipeline = "vm", .vm = r };
	rc = plan_prepare(a, &p, &o);
	if (!rc && (rc = vm_save_state(r, VM_STARTING))) {
		plan_prepared_drop(&p, &o, 0);
		r->ledger_dirty = 0; /* nothing of this start reached the record */
		plan_free(&p);
		record_close(r);
		return rc;
	}
	if (!rc) {
		test_stall("prepared");
		rc = plan_run(a, &p, &o);
	}
	plan_prepared_drop(&p, &o, 0);
	plan_free(&p);
	plan_flush(a); /* a rolled-back net-up's deferred work */
	if (rc)
		json_object_set_new(r->root, "last_error",
				    json_string("start failed; see the messages of that run"));
	int src = vm_save_state(r, rc ? VM_STOPPED : VM_RUNNING);
	if (!rc)
		rc = src;
	if (!rc && !lia_quiet && !a->json)
		printf("started VM '%s'\n", name);
	record_close(r);
	return rc;
}

/* save the state of the VMs of a batch with one group commit (state_group.c); a VM whose
 * record cannot be written is said and dropped from the batch (its lock released) */
static int save_batch(struct vm_record **rs, size_t *n, enum vm_state to)
{
	int *errs = xcalloc(*n + 1, sizeof(int)), worst = 0;
	for (size_t i = 0; i < *n; i++)
		rec_set_state(rs[i], to);
	records_save_group(rs, *n, errs);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		if (errs[i]) {
			fprintf(stderr, "lia-core: cannot write the record of VM '%s' (%s) in state %s: %s\n",
				rs[i]->name, rs[i]->path, vm_state_name(to), strerror(-errs[i]));
			record_close(rs[i]);
			worst = EXIT_FAIL;
		} else {
			rs[k++] = rs[i];
		}
	}
	*n = k;
	free(errs);
	return worst;
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* 1: act on r; 0: leave it (said why; *worst raised when that is a failure) */
typedef int (*batch_accept)(struct app *a, struct vm_record *r, int *worst);

/* Every named VM locked, in name order (two batches never wait on each other in a circle),
 * each once; those accept keeps are returned (*k of them) and the plugins are opened.  Raises
 * *worst for every VM left out by a failure. */
static struct vm_record **lock_batch(struct app *a, char **names, int n, batch_accept accept, size_t *k,
				     int *worst)
{
	int rc;
	char **sorted = xcalloc((size_t)n, sizeof(char *));
	memcpy(sorted, names, (size_t)n * sizeof(char *));
	qsort(sorted, (size_t)n, sizeof(char *), cmp_name);
	struct vm_record **rs = xcalloc((size_t)n + 1, sizeof(*rs));
	*k = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		struct vm_record *r;
		if ((rc = vm_open_locked(a, sorted[i], &r))) {
			*worst = rc > *worst ? rc : *worst;
			continue;
		}
		if (!accept(a, r, worst)) {
			record_close(r);
			continue;
		}
		set_owner(r);
		rs[(*k)++] = r;
	}
	free(sorted);
	if (*k > 0 && (rc = app_open_plugins(a))) {
		*worst = rc > *worst ? rc : *worst;
		for (size_t i = 0; i < *k; i++)
			record_close(rs[i]);
		*k = 0;
	}
	return rs;
}

/* The outcomes in two group commits: the VMs whose pipeline succeeded go to ok_to, the others
 * to failed_to; then every record is closed.  The worst exit code. */
static int finish_batch(struct app *a, struct vm_record **rs, const int *res, size_t k, enum vm_state ok_to,
			enum vm_state failed_to, const char *done)
{
	int rc, worst = 0;
	struct vm_record **ok = xcalloc(k + 1, sizeof(*ok)), **failed = xcalloc(k + 1, sizeof(*failed));
	size_t nok = 0, nfailed = 0;
	for (size_t i = 0; i < k; i++) {
		if (res[i])
			failed[nfailed++] = rs[i];
		else
			ok[nok++] = rs[i];
		if (res[i] > worst)
			worst = res[i];
	}
	if ((rc = save_batch(ok, &nok, ok_to)) > worst)
		worst = rc;
	if ((rc = save_batch(failed, &nfailed, failed_to)) > worst)
		worst = rc;
	for (size_t i = 0; i < nok; i++) {
		if (!lia_quiet && !a->json)
			printf("%s VM '%s'\n", done, ok[i]->name);
		record_close(ok[i]);
	}
	for (size_t i = 0; i < nfailed; i++)
		record_close(failed[i]);
	free(ok);
	free(failed);
	return worst;
}

static int start_accept(struct app *a, struct vm_record *r, int *worst)
{
	enum vm_state st = rec_state(r);
	if (st == VM_RUNNING && record_process_alive(r) != 0) {
		if (!lia_quiet)
			printf("VM '%s' is already running\n", r->name);
		return 0;
	}
	if (st != VM_CREATED && st != VM_STOPPED && st != VM_RUNNING) {
		fprintf(stderr,
			"lia-core: VM '%s' is %s; run `lia-core gc` to finish or undo the interrupted work\n",
			r->name, rec_state_name(r));
		app_fail(a, "wrong_state", NULL, NULL,
			 "VM '%s' is %s; `lia-core gc` finishes or undoes the interrupted work", r->name,
			 rec_state_name(r));
		*worst = EXIT_FAIL;
		return 0;
	}
	json_object_del(r->root, "last_error");
	return 1;
}

static int stop_accept(struct app *a, struct vm_record *r, int *worst)
{
	(void)a;
	(void)worst;
	enum vm_state st = rec_state(r);
	if (st == VM_STOPPED || st == VM_CREATED) {
		if (!lia_quiet)
			printf("VM '%s' is not running\n", r->name);
		return 0;
	}
	return 1;
}

int vm_op_start_many(struct app *a, char **names, int n)
{
	int rc = app_load(a), worst = 0;
	if (rc)
		return rc;
	if (n == 1 || a->dry_run) {
		for (int i = 0; i < n; i++) {
			rc = vm_op_start(a, names[i]);
			if (rc > worst)
				worst = rc;
			if (rc == EXIT_USAGE)
				break; /* the configuration is bad: the next VM would fail alike */
		}
		return worst;
	}
	/* 1: every VM's prepare(), then every VM "starting" with those ledger entries, one
	 * group commit; then each VM's pipeline, whose entries are durable before their objects
	 * as always; 2: the outcomes, one group commit */
	size_t k;
	struct vm_record **rs = lock_batch(a, names, n, start_accept, &k, &worst);
	struct plan p;
	plan_pipeline(a, &PIPE_START, 0, &p);
	struct run_opts *os = xcalloc(k + 1, sizeof(*os));
	int *res = xcalloc(k + 1, sizeof(int));
	for (size_t i = 0; i < k; i++) {
		os[i] = (struct run_opts){ .pipeline = "vm", .vm = rs[i] };
		res[i] = plan_prepare(a, &p, &os[i]);
	}
	int *errs = xcalloc(k + 1, sizeof(int));
	for (size_t i = 0; i < k; i++)
		rec_set_state(rs[i], VM_STARTING);
	records_save_group(rs, k, errs);
	for (size_t i = 0; i < k; i++)
		if (errs[i]) {
			fprintf(stderr, "lia-core: cannot write the record of VM '%s' (%s) in state %s: %s\n",
				rs[i]->name, rs[i]->path, vm_state_name(VM_STARTING), strerror(-errs[i]));
			worst = EXIT_FAIL;
		}
	test_stall("batch-starting");
	for (size_t i = 0; i < k; i++) {
		if (!res[i] && !errs[i])
			res[i] = plan_run(a, &p, &os[i]);
		plan_prepared_drop(&p, &os[i], 0);
		if (res[i])
			json_object_set_new(rs[i]->root, "last_error",
					    json_string("start failed; see the messages of that run"));
	}
	test_stall("batch-started");
	plan_flush(a);
	/* a VM whose "starting" could not be written is left as it was (its entries dropped) */
	size_t kept = 0;
	for (size_t i = 0; i < k; i++) {
		if (errs[i]) {
			rs[i]->ledger_dirty = 0; /* nothing of this start reached its record */
			record_close(rs[i]);
			continue;
		}
		res[kept] = res[i];
		rs[kept++] = rs[i];
	}
	k = kept;
	free(errs);
	free(os);
	plan_free(&p);
	if ((rc = finish_batch(a, rs, res, k, VM_RUNNING, VM_STOPPED, "started")) > worst)
		worst = rc;
	free(res);
	free(rs);
	return worst;
}

int vm_op_stop_many(struct app *a, char **names, int n, int force)
{
	int rc = app_load(a), worst = 0;
	if (rc)
		return rc;
	if (n == 1 || a->dry_run) {
		for (int i = 0; i < n; i++) {
			rc = vm_op_stop(a, names[i], force);
			if (rc > worst)
				worst = rc;
			if (rc == EXIT_USAGE)
				break;
		}
		return worst;
	}
	/* as vm_op_start_many: one group commit for "stopping", the pipelines, one for the
	 * outcomes */
	size_t k;
	struct vm_record **rs = lock_batch(a, names, n, stop_accept, &k, &worst);
	if ((rc = save_batch(rs, &k, VM_STOPPING)) > worst)
		worst = rc;
	test_stall("batch-stopping");
	int *res = xcalloc(k + 1, sizeof(int));
	for (size_t i = 0; i < k; i++)
		res[i] = vm_run_pipeline(a, rs[i], &PIPE_STOP, force, 1, "vm");
	test_stall("batch-stopped");
	plan_flush(a); /* e.g. every retired TAP in one group delete, while the VMs are locked */
	if ((rc = finish_batch(a, rs, res, k, VM_STOPPED, VM_RUNNING, "stopped")) > worst)
		worst = rc;
	free(res);
	free(rs);
	return worst;
}

int vm_pipeline_stop(struct app *a, struct vm_record *r, int force)
{
	set_owner(r);
	int rc = vm_save_state(r, VM_STOPPING);
	if (rc)
		return rc;
	rc = vm_run_pipeline(a, r, &PIPE_STOP, force, 1, "vm");
	test_stall("stopped-unflushed");
	plan_flush(a); /* before the VM's lock goes: net-tap's retired TAP */
	int src = vm_save_state(r, rc ? VM_RUNNING : VM_STOPPED);
	return rc ? rc : src;
}

int vm_op_stop(struct app *a, const char *name, int force)
{
	struct vm_record *r;
	int rc = app_load(a);
	if (rc || (rc = vm_open_locked(a, name, &r)))
		return rc;
	enum vm_state st = rec_state(r);
	if (st == VM_STOPPED || st == VM_CREATED) {
		if (!lia_quiet)
			printf("VM '%s' is not running\n", r->name);
		record_close(r);
		return 0;
	}
	if ((rc = app_open_plugins(a)) == 0) {
		if (a->dry_run)
			rc = vm_run_pipeline(a, r, &PIPE_STOP, force, 1, "vm");
		else
			rc = vm_pipeline_stop(a, r, force);
		if (!rc && !a->dry_run && !lia_quiet && !a->json)
			printf("stopped VM '%s'\n", r->name);
	}
	record_close(r);
	return rc;
}

int vm_op_destroy(struct app *a, const char *name)
{
	struct vm_record *r;
	int rc = app_load(a);
	if (rc || (rc = vm_open_locked(a, name, &r)))
		return rc;
	if ((rc = app_open_plugins(a))) {
		record_close(r);
		return rc;
	}
	if (a->dry_run) {
		rc = vm_run_pipeline(a, r, &PIPE_DESTROY, 0, 1, "vm");
		record_close(r);
		return rc;
	}
	enum vm_state st = rec_state(r);
	if (st != VM_STOPPED && st != VM_CREATED && st != VM_FAILED && st != VM_DESTROYING) {
		rc = vm_pipeline_stop(a, r, 0);
		if (rc) {
			fprintf(stderr,
				"lia-core: VM '%s' did not stop; not destroying it (try `vm stop --force`)\n",
				name);
			app_fail(a, "stop_failed", NULL, "stop", "VM '%s' did not stop; not destroying it",
				 name);
			record_close(r);
			return rc;
		}
	}
	set_owner(r);
	if ((rc = vm_save_state(r, VM_DESTROYING))) {
		record_close(r);
		return rc;
	}
	rc = vm_run_pipeline(a, r, &PIPE_DESTROY, 0, 1, "vm");
	plan_flush(a);
	json_t *ledger = json_object_get(r->root, "ledger");
	if (!rc && json_array_size(ledger) > 0) {
		size_t i;
		json_t *e;
		json_array_foreach(ledger, i, e) msg_warn("VM '%s' still owns %s %s (plugin %s)", name,
							  json_string_value(json_object_get(e, "kind")),
							  json_string_value(json_object_get(e, "id")),
							  json_string_value(json_object_get(e, "plugin")));
		fprintf(stderr,
			"lia-core: VM '%s' kept its record because of the objects above; `lia-core gc` retries\n",
			name);
		app_fail(a, "objects_left", NULL, "destroy",
			 "VM '%s' still owns host objects; it keeps its record and `lia-core gc` retries",
			 name);
		rc = EXIT_FAIL;
	}
	if (!rc) {
		int e = record_delete(r);
		if (e < 0) {
			fprintf(stderr, "lia-core: cannot remove the record of VM '%s' (%s): %s\n", name,
				r->path, strerror(-e));
			rc = EXIT_FAIL;
		} else {
			/* its lock file went with the record (record_delete, while we held it): a
			 * second unlink here, outside the state lock, could remove the lock file of a
			 * new VM of the same name, held by its create */
			if (!lia_quiet && !a->json)
				printf("destroyed VM '%s'\n", name);
		}
	}
	record_close(r);
	return rc;
}
