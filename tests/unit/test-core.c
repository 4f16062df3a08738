/* Unit tests of the core with cmocka: configuration parsing and validation, hook
 * ordering, VM record atomicity and locking, leases. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>
#include "app.h"
#include "conf.h"
#include "run.h"
#include "services.h"
#include "state.h"
#include "util.h"

static char tmpdir[256];

static int setup_tmp(void **st)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lia-unit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **st)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *write_conf(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static const struct lia_option opts[] = {
	{ .name = "bridge", .type = LIA_OPT_STRING, .default_value = "lia-br0", .kind = LIA_KIND_IFNAME },
	{ .name = "size", .type = LIA_OPT_INT, .default_value = "2048" },
	{ .name = "nat", .type = LIA_OPT_BOOL, .default_value = "true" },
	{ .name = "pkgs", .type = LIA_OPT_STRINGS, .default_value = "a,b,c" },
	{ .name = "must", .type = LIA_OPT_STRING, .flags = LIA_OPT_REQUIRED },
	{ 0 },
};
static int noop(struct lia_ctx *c, void *s)
{
	return 0;
}
static const struct lia_hook hooks_x[] = { { .phase = LIA_PHASE_NETWORK, .run = noop }, { 0 } };
static const struct lia_plugin plug_x = { LIA_PLUGIN_HEADER, .name = "x", .options = opts, .hooks = hooks_x };

static void test_conf_values_and_defaults(void **st)
{
	char *p = write_conf("good.conf",
			     "lia = { state_dir = \"/tmp/s\"; vcpus = 4; };\n"
			     "x = { size = 100; must = \"m\"; pkgs = [ \"q\" ];\n"
			     "  hooks = { network = { priority = 7; on_error = \"warn\"; }; }; };\n");
	struct lia_config c;
	assert_int_equal(config_load(&c, p), 0);
	assert_string_equal(config_global(&c, "state_dir"), "/tmp/s");
	assert_string_equal(config_global(&c, "vcpus"), "4");
	assert_string_equal(config_global(&c, "mem_mib"), "1024"); /* default */
	assert_int_equal(c.nblocks, 1);
	assert_int_equal(config_bind(&c.blocks[0], &plug_x), 0);
	const struct cfg_value *v = block_value(&c.blocks[0], "size");
	assert_int_equal(v->i, 100);
	assert_true(v->is_set);
	v = block_value(&c.blocks[0], "bridge");
	assert_string_equal(v->str, "lia-br0");
	assert_false(v->is_set);
	v = block_value(&c.blocks[0], "nat");
	assert_true(v->b);
	v = block_value(&c.blocks[0], "pkgs");
	assert_int_equal(v->nlist, 1);
	assert_string_equal(v->list[0], "q");
	assert_int_equal(c.blocks[0].nhooks, 1);
	assert_int_equal(c.blocks[0].hooks[0].priority, 7);
	assert_true(c.blocks[0].hooks[0].warn);
	config_free(&c);
	free(p);
}

static void test_conf_default_list(void **st)
{
	char *p = write_conf("list.conf", "x = { must = \"m\"; };\n");
	struct lia_config c;
	assert_int_equal(config_load(&c, p), 0);
	assert_int_equal(config_bind(&c.blocks[0], &plug_x), 0);
	const struct cfg_value *v = block_value(&c.blocks[0], "pkgs");
	assert_int_equal(v->nlist, 3);
	assert_string_equal(v->list[2], "c");
	assert_null(v->list[3]);
	config_free(&c);
	free(p);
}

static void test_conf_errors(void **st)
{
	struct lia_config c;
	char *p = write_conf("unknown.conf", "x = { must = \"m\"; colour = 1; };\n");
	assert_int_equal(config_load(&c, p), 0);
	assert_int_equal(config_bind(&c.blocks[0], &plug_x), 1); /* unknown key */
	config_free(&c);
	free(p);
	p = write_conf("type.conf", "x = { must = \"m\"; size = \"big\"; nat = 1; pkgs = [ 1 ]; };\n");
	assert_int_equal(config_load(&c, p), 0);
	assert_int_equal(config_bind(&c.blocks[0], &plug_x), 3); /* three wrong types */
	config_free(&c);
	free(p);
	p = write_conf("req.conf", "x = { };\n");
	assert_int_equal(config_load(&c, p), 0);
	assert_int_equal(config_bind(&c.blocks[0], &plug_x), 1); /* required missing */
	config_free(&c);
	free(p);
	p = write_conf("syntax.conf", "x = { must = ; };\n");
	assert_int_equal(config_load(&c, p), EXIT_USAGE);
	config_free(&c);
	free(p);
	p = write_conf("dup.conf", "x = { must = \"a\"; };\nx = { must = \"b\"; };\n");
	assert_int_equal(config_load(&c, p), EXIT_USAGE); /* libconfig: duplicate setting name */
	config_free(&c);
	free(p);
	p = write_conf("hookphase.conf", "x = { must = \"a\"; hooks = { boot = { priority = 1; }; }; };\n");
	assert_int_equal(config_load(&c, p), 0);
	assert_int_equal(config_bind(&c.blocks[0], &plug_x), 1); /* x has no boot hook */
	config_free(&c);
	free(p);
}

/* hook ordering: priority, then block order, then name; stop phases reversed */
static const struct lia_hook hk_a[] = { { .phase = LIA_PHASE_NETWORK, .priority = 500, .run = noop },
					{ .phase = LIA_PHASE_STOP, .run = noop },
					{ .phase = LIA_PHASE_KERNEL, .run = noop, .undo = noop },
					{ 0 } };
static const struct lia_hook hk_b[] = { { .phase = LIA_PHASE_NETWORK, .priority = 100, .run = noop },
					{ .phase = LIA_PHASE_STOP, .run = noop },
					{ .phase = LIA_PHASE_KERNEL, .run = noop },
					{ 0 } };
static const struct lia_plugin pa = { LIA_PLUGIN_HEADER, .name = "a", .hooks = hk_a };
static const struct lia_plugin pb = { LIA_PLUGIN_HEADER, .name = "b", .hooks = hk_b };

static void test_plan_order(void **st)
{
	struct app a;
	memset(&a, 0, sizeof(a));
	struct plugin_block blocks[2];
	memset(blocks, 0, sizeof(blocks));
	blocks[0].order = 0;
	blocks[1].order = 1;
	struct loaded_plugin lp[2];
	memset(lp, 0, sizeof(lp));
	lp[0].desc = &pa;
	lp[0].block = &blocks[0];
	lp[1].desc = &pb;
	lp[1].block = &blocks[1];
	a.plugins = lp;
	a.nplugins = 2;
	lia_phase_t ph[] = { LIA_PHASE_KERNEL, LIA_PHASE_NETWORK };
	struct plan p;
	plan_build(&a, ph, 2, 0, NULL, 0, &p);
	assert_int_equal(p.n, 4);
	assert_string_equal(p.steps[0].lp->desc->name, "a"); /* kernel: block order */
	assert_string_equal(p.steps[1].lp->desc->name, "b");
	assert_string_equal(p.steps[2].lp->desc->name, "b"); /* network: b has priority 100 */
	assert_string_equal(p.steps[3].lp->desc->name, "a");
	plan_free(&p);
	/* a config override moves a before b */
	blocks[0].nhooks = 1;
	blocks[0].hooks[0].phase = LIA_PHASE_NETWORK;
	blocks[0].hooks[0].has_priority = 1;
	blocks[0].hooks[0].priority = 50;
	plan_build(&a, ph + 1, 1, 0, NULL, 0, &p);
	assert_string_equal(p.steps[0].lp->desc->name, "a");
	plan_free(&p);
	/* stop runs plugins in reverse order */
	lia_phase_t stop[] = { LIA_PHASE_STOP };
	plan_build(&a, stop, 1, 0, NULL, 0, &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.steps[0].lp->desc->name, "b");
	plan_free(&p);
	/* undo plans only hooks that have an undo */
	plan_build(&a, ph, 1, 1, NULL, 0, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.steps[0].lp->desc->name, "a");
	plan_free(&p);
	/* a phase where no hook has an undo plans nothing (and must not underflow) */
	plan_build(&a, ph + 1, 1, 1, NULL, 0, &p);
	assert_int_equal(p.n, 0);
	plan_free(&p);
	/* --only filters phases */
	lia_phase_t only[] = { LIA_PHASE_NETWORK };
	plan_build(&a, ph, 2, 0, only, 1, &p);
	assert_int_equal(p.n, 2);
	plan_free(&p);
}

static int count_tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".tmp."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_record_atomic(void **st)
{
	struct state s;
	char *sd = xasprintf("%s/state1", tmpdir);
	state_init(&s, sd);
	json_t *f = json_pack("{s:i}", "vcpus", 2);
	struct vm_record *r;
	assert_int_equal(record_create(&s, "vm-a", f, &r), 0);
	struct vm_record *r2 = NULL;
	assert_int_equal(record_create(&s, "vm-a", f, &r2), -EEXIST);
	assert_null(r2);
	/* the creator holds the VM lock */
	assert_int_equal(record_open(&s, "vm-a", 1, 1, &r2), -EWOULDBLOCK);
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof(id), "t%d", i);
		assert_int_equal(ledger_add(r, "tap", id, "unit"), 0);
	}
	assert_int_equal(count_tmp_files(s.vms), 0);
	record_close(r);
	assert_int_equal(record_open(&s, "vm-a", 1, 1, &r2), 0);
	assert_int_equal(json_array_size(json_object_get(r2->root, "ledger")), 50);
	assert_int_equal(ledger_owned(&s, NULL, "tap", "t7"), 1);
	assert_int_equal(ledger_owned(&s, NULL, "tap", "t70"), 0);
	assert_int_equal(ledger_owned(&s, r2, "tap", "t7"), 1);
	assert_int_equal(ledger_del(r2, "tap", "t7"), 0);
	/* ledger_del writes nothing by itself: the record on disk still names t7, the VM's own
	 * view (in memory) does not; the record's next save carries it (here record_close) */
	assert_int_equal(ledger_owned(&s, NULL, "tap", "t7"), 1);
	assert_int_equal(ledger_owned(&s, r2, "tap", "t7"), 0);
	/* put back: it is on disk already, so no save (no temp file, the file unchanged) */
	struct stat before, after;
	assert_int_equal(stat(r2->path, &before), 0);
	assert_int_equal(ledger_add(r2, "tap", "t7", "unit"), 0);
	assert_int_equal(stat(r2->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(ledger_del(r2, "tap", "t7"), 0);
	record_close(r2);
	assert_int_equal(ledger_owned(&s, NULL, "tap", "t7"), 0);
	json_decref(f);
	state_free(&s);
	free(sd);
}

/* a plugin's vm_set that changes nothing (NULL for an absent key, the same value) leaves
 * the record clean: the core saves a dirty record after each hook, two fsyncs */
static void test_vm_set_unchanged_stays_clean(void **st)
{
	struct state s;
	char *sd = xasprintf("%s/state-set", tmpdir);
	state_init(&s, sd);
	json_t *f = json_pack("{s:i}", "vcpus", 2);
	struct vm_record *r;
	assert_int_equal(record_create(&s, "vm-s", f, &r), 0);
	struct core_ctx c = { .vm = r };
	r->dirty = 0;
	assert_int_equal(svc_vm_set(&c.pub, "ready", NULL), 0);
	assert_false(r->dirty);
	assert_int_equal(svc_vm_set(&c.pub, "ready", "yes"), 0);
	assert_true(r->dirty);
	assert_int_equal(record_save(r), 0);
	assert_int_equal(svc_vm_set(&c.pub, "ready", "yes"), 0);
	assert_false(r->dirty);
	assert_int_equal(svc_vm_set_int(&c.pub, "ready", 1), 0); /* a string before */
	assert_true(r->dirty);
	assert_int_equal(record_save(r), 0);
	assert_int_equal(svc_vm_set_int(&c.pub, "ready", 1), 0);
	assert_false(r->dirty);
	assert_int_equal(svc_vm_set_int(&c.pub, "ready", 2), 0);
	assert_true(r->dirty);
	assert_int_equal(record_save(r), 0);
	assert_int_equal(svc_vm_set(&c.pub, "ready", NULL), 0);
	assert_true(r->dirty);
	assert_null(json_object_get(json_object_get(r->root, "data"), "ready"));
	record_close(r);
	json_decref(f);
	state_free(&s);
	free(sd);
}

/* 8 processes append to one record under its VM lock: no update is lost */
static void test_record_lock_serialises(void **st)
{
	struct state s;
	char *sd = xasprintf("%s/state2", tmpdir);
	state_init(&s, sd);
	json_t *f = json_object();
	struct vm_record *r;
	assert_int_equal(record_create(&s, "shared", f, &r), 0);
	record_close(r);
	for (int i = 0; i < 8; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct vm_record *c;
			for (int k = 0; k < 10; k++) {
				if (record_open(&s, "shared", 1, 0, &c) < 0)
					_exit(1);
				char id[32];
				snprintf(id, sizeof(id), "p%d-%d", i, k);
				if (ledger_add(c, "x", id, "unit") < 0)
					_exit(1);
				record_close(c);
			}
			_exit(0);
		}
	}
	int ws, bad = 0;
	while (wait(&ws) > 0)
		bad += !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_int_equal(bad, 0);
	assert_int_equal(record_open(&s, "shared", 0, 0, &r), 0);
	assert_int_equal(json_array_size(json_object_get(r->root, "ledger")), 80);
	record_close(r);
	json_decref(f);
	state_free(&s);
	free(sd);
}

/* 12 processes each take a lease for their own VM: 12 distinct values, lowest first */
static void test_leases_distinct(void **st)
{
	struct state s;
	char *sd = xasprintf("%s/state3", tmpdir);
	state_init(&s, sd);
	for (int i = 0; i < 12; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char name[16];
			snprintf(name, sizeof(name), "l%d", i);
			json_t *f = json_object();
			struct vm_record *r;
			uint64_t v;
			if (record_create(&s, name, f, &r) < 0 ||
			    lease_take(&s, r, "ip4", 100, 200, &v, "u") < 0)
				_exit(1);
			_exit(0);
		}
	}
	int ws, bad = 0;
	while (wait(&ws) > 0)
		bad += !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_int_equal(bad, 0);
	int seen[13] = { 0 };
	for (int i = 0; i < 12; i++) {
		char name[16];
		snprintf(name, sizeof(name), "l%d", i);
		struct vm_record *r;
		uint64_t v;
		assert_int_equal(record_open(&s, name, 0, 0, &r), 0);
		assert_int_equal(lease_get(r, "ip4", &v), 0);
		assert_true(v >= 100 && v < 112);
		seen[v - 100]++;
		record_close(r);
	}
	for (int i = 0; i < 12; i++)
		assert_int_equal(seen[i], 1);
	/* a released lease is reused, lowest first; an exhausted pool says ENOSPC */
	struct vm_record *r;
	uint64_t v;
	assert_int_equal(record_open(&s, "l3", 1, 0, &r), 0);
	assert_int_equal(lease_get(r, "ip4", &v), 0);
	uint64_t old = v;
	assert_int_equal(lease_release(r, "ip4"), 0);
	record_close(r);
	json_t *f = json_object();
	assert_int_equal(record_create(&s, "late", f, &r), 0);
	assert_int_equal(lease_take(&s, r, "ip4", 100, 200, &v, "u"), 0);
	assert_int_equal(v, old);
	assert_int_equal(lease_take(&s, r, "ip4", 100, 200, &v, "u"), 0); /* idempotent */
	assert_int_equal(v, old);
	assert_int_equal(lease_take(&s, r, "cid", 3, 3, &v, "u"), 0);
	record_close(r);
	assert_int_equal(record_create(&s, "late2", f, &r), 0);
	assert_int_equal(lease_take(&s, r, "cid", 3, 3, &v, "u"), -ENOSPC);
	record_close(r);
	json_decref(f);
	state_free(&s);
	free(sd);
}

static void test_names(void **st)
{
	assert_true(vm_name_valid("a"));
	assert_true(vm_name_valid("agent-01"));
	assert_true(vm_name_valid("abcdefghijklmnopqrstuvwxyz012345"));
	assert_false(vm_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_false(vm_name_valid(""));
	assert_false(vm_name_valid("A"));
	assert_false(vm_name_valid("../x"));
	assert_false(vm_name_valid("a b"));
	assert_int_equal(phase_from_name("net-up"), LIA_PHASE_NET_UP);
	assert_string_equal(phase_name(LIA_PHASE_DESTROY), "destroy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_values_and_defaults),
		cmocka_unit_test(test_conf_default_list),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_plan_order),
		cmocka_unit_test(test_record_atomic),
		cmocka_unit_test(test_vm_set_unchanged_stays_clean),
		cmocka_unit_test(test_record_lock_serialises),
		cmocka_unit_test(test_leases_distinct),
		cmocka_unit_test(test_names),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
