/* `lia-core vm ...`: the VM record and the VM pipelines create, start, stop, destroy. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "run.h"
#include "util.h"

static const enum lia_phase create_ph[] = { LIA_PHASE_CREATE };
static const enum lia_phase start_ph[] = { LIA_PHASE_NET_UP, LIA_PHASE_BOOT, LIA_PHASE_STARTED };
static const enum lia_phase stop_ph[] = { LIA_PHASE_STOP, LIA_PHASE_NET_DOWN };
static const enum lia_phase destroy_ph[] = { LIA_PHASE_DESTROY };
#define N(x) (sizeof(x) / sizeof((x)[0]))

static int bad_name(const char *name)
{
	if (vm_name_valid(name))
		return 0;
	fprintf(stderr, "lia-core: '%s' is not a VM name: use 1-32 characters of a-z, 0-9 and '-'\n", name);
	return 1;
}

static void set_owner(struct vm_record *r)
{
	json_object_set_new(r->root, "owner",
			    json_pack("{s:I,s:I}", "pid", (json_int_t)getpid(),
				      "start", (json_int_t)proc_start_time(getpid())));
}

static int run_phases(struct app *a, struct vm_record *r, const enum lia_phase *ph, size_t n,
		      int force, int no_rollback)
{
	struct plan p;
	plan_build(a, ph, n, 0, NULL, 0, &p);
	struct run_opts o = { .pipeline = "vm", .vm = r, .force = force, .no_rollback = no_rollback };
	int rc = plan_run(a, &p, &o);
	plan_free(&p);
	return rc;
}

static int open_vm(struct app *a, const char *name, struct vm_record **r)
{
	if (bad_name(name))
		return EXIT_USAGE;
	int e = record_open(&a->st, name, 1, 0, r);
	if (e == -ENOENT) {
		fprintf(stderr, "lia-core: no VM named '%s' (see `lia-core vm list`)\n", name);
		return EXIT_FAIL;
	}
	if (e < 0) {
		fprintf(stderr, "lia-core: cannot open the record of VM '%s': %s\n", name, strerror(-e));
		return EXIT_FAIL;
	}
	return 0;
}

static int parse_pos(const char *opt, const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*s == 0 || *end || v <= 0 || v > (1LL << 40)) {
		fprintf(stderr, "lia-core: %s wants a positive whole number, not '%s'\n", opt, s);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static char *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "lia-core: cannot read SSH key %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	if (n <= 0) {
		fprintf(stderr, "lia-core: SSH key file %s is empty\n", path);
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

static int vm_create(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'c' },
		{ "mem-mib", required_argument, NULL, 'm' },
		{ "ssh-key", required_argument, NULL, 'k' },
		{ "volume-mib", required_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t vcpus = 0, mem = 0, vol = 0;
	const char *keyfile = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int e = 0;
		switch (ch) {
		case 'c': e = parse_pos("--vcpus", optarg, &vcpus); break;
		case 'm': e = parse_pos("--mem-mib", optarg, &mem); break;
		case 'V': e = parse_pos("--volume-mib", optarg, &vol); break;
		case 'k': keyfile = optarg; break;
		case 'n': a->dry_run = 1; break;
		default: return EXIT_USAGE;
		}
		if (e)
			return e;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: lia-core vm create NAME [--vcpus N] [--mem-mib N] [--ssh-key FILE] [--volume-mib N]\n");
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	if (bad_name(name))
		return EXIT_USAGE;
	int rc = app_load(a);
	if (rc)
		return rc;
	if (!vcpus)
		vcpus = strtoll(config_global(&a->cfg, "vcpus"), NULL, 10);
	if (!mem)
		mem = strtoll(config_global(&a->cfg, "mem_mib"), NULL, 10);
	if (!vol)
		vol = strtoll(config_global(&a->cfg, "volume_mib"), NULL, 10);
	if (!keyfile && *config_global(&a->cfg, "ssh_key"))
		keyfile = config_global(&a->cfg, "ssh_key");
	char *key = NULL;
	if (keyfile && !(key = read_key(keyfile)))
		return EXIT_USAGE;
	json_t *fields = json_pack("{s:I,s:I,s:I}", "vcpus", (json_int_t)vcpus, "mem_mib",
				   (json_int_t)mem, "volume_mib", (json_int_t)vol);
	if (key)
		json_object_set_new(fields, "ssh_key", json_string(key));
	free(key);
	if ((rc = app_open_plugins(a))) {
		json_decref(fields);
		return rc;
	}
	if (a->dry_run) {
		struct vm_record tmp = { .name = (char *)name, .path = "(dry run)", .root = fields, .lock_fd = -1 };
		json_object_set_new(fields, "data", json_object());
		struct plan p;
		plan_build(a, create_ph, 1, 0, NULL, 0, &p);
		struct run_opts o = { .pipeline = "vm", .vm = NULL };
		(void)tmp;
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
		return EXIT_FAIL;
	}
	if (e < 0) {
		fprintf(stderr, "lia-core: cannot create the record of VM '%s' in %s: %s\n", name, a->st.vms,
			strerror(-e));
		return EXIT_FAIL;
	}
	rc = run_phases(a, r, create_ph, 1, 0, 0);
	if (rc) {
		/* the hooks that ran were undone: the record goes too, nothing is left */
		if (json_array_size(json_object_get(r->root, "ledger")) == 0)
			record_delete(r);
		else {
			rec_set_state(r, "failed");
			record_save(r);
			fprintf(stderr, "lia-core: VM '%s' keeps objects that could not be removed; `lia-core gc` retries\n", name);
		}
	} else {
		rec_set_state(r, "created");
		record_save(r);
		if (!lia_quiet && !a->json)
			printf("created VM '%s'\n", name);
	}
	record_close(r);
	return rc;
}

static int vm_start(struct app *a, const char *name)
{
	struct vm_record *r;
	int rc = app_load(a);
	if (rc || (rc = open_vm(a, name, &r)))
		return rc;
	const char *st = rec_state(r);
	if (st && strcmp(st, "running") == 0 && record_process_alive(r) != 0) {
		if (!lia_quiet)
			printf("VM '%s' is already running\n", name);
		record_close(r);
		return 0;
	}
	if (st && strcmp(st, "created") != 0 && strcmp(st, "stopped") != 0 && strcmp(st, "running") != 0) {
		fprintf(stderr, "lia-core: VM '%s' is %s; run `lia-core gc` to finish or undo the interrupted work\n",
			name, st);
		record_close(r);
		return EXIT_FAIL;
	}
	if ((rc = app_open_plugins(a))) {
		record_close(r);
		return rc;
	}
	if (!a->dry_run) {
		rec_set_state(r, "starting");
		set_owner(r);
		json_object_del(r->root, "last_error");
		record_save(r);
	}
	rc = run_phases(a, r, start_ph, N(start_ph), 0, 0);
	if (!a->dry_run) {
		rec_set_state(r, rc ? "stopped" : "running");
		if (rc)
			json_object_set_new(r->root, "last_error", json_string("start failed; see the messages of that run"));
		record_save(r);
		if (!rc && !lia_quiet && !a->json)
			printf("started VM '%s'\n", name);
	}
	record_close(r);
	return rc;
}

int vm_pipeline_stop(struct app *a, struct vm_record *r, int force)
{
	rec_set_state(r, "stopping");
	set_owner(r);
	record_save(r);
	int rc = run_phases(a, r, stop_ph, N(stop_ph), force, 1);
	rec_set_state(r, rc ? "running" : "stopped");
	record_save(r);
	return rc;
}

static int vm_stop(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	int force = 0, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f')
			return EXIT_USAGE;
		force = 1;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: lia-core vm stop NAME [--force]\n");
		return EXIT_USAGE;
	}
	struct vm_record *r;
	int rc = app_load(a);
	if (rc || (rc = open_vm(a, argv[optind], &r)))
		return rc;
	const char *st = rec_state(r);
	if (st && (strcmp(st, "stopped") == 0 || strcmp(st, "created") == 0)) {
		if (!lia_quiet)
			printf("VM '%s' is not running\n", r->name);
		record_close(r);
		return 0;
	}
	if ((rc = app_open_plugins(a)) == 0) {
		if (a->dry_run)
			rc = run_phases(a, r, stop_ph, N(stop_ph), force, 1);
		else
			rc = vm_pipeline_stop(a, r, force);
		if (!rc && !a->dry_run && !lia_quiet && !a->json)
			printf("stopped VM '%s'\n", r->name);
	}
	record_close(r);
	return rc;
}

static int vm_destroy(struct app *a, const char *name)
{
	struct vm_record *r;
	int rc = app_load(a);
	if (rc || (rc = open_vm(a, name, &r)))
		return rc;
	if ((rc = app_open_plugins(a))) {
		record_close(r);
		return rc;
	}
	if (a->dry_run) {
		rc = run_phases(a, r, destroy_ph, 1, 0, 1);
		record_close(r);
		return rc;
	}
	const char *st = rec_state(r);
	if (st && strcmp(st, "stopped") != 0 && strcmp(st, "created") != 0 && strcmp(st, "failed") != 0 &&
	    strcmp(st, "destroying") != 0) {
		rc = vm_pipeline_stop(a, r, 0);
		if (rc) {
			fprintf(stderr, "lia-core: VM '%s' did not stop; not destroying it (try `vm stop --force`)\n", name);
			record_close(r);
			return rc;
		}
	}
	rec_set_state(r, "destroying");
	set_owner(r);
	record_save(r);
	rc = run_phases(a, r, destroy_ph, 1, 0, 1);
	json_t *ledger = json_object_get(r->root, "ledger");
	if (!rc && json_array_size(ledger) > 0) {
		size_t i;
		json_t *e;
		json_array_foreach(ledger, i, e)
			msg_warn("VM '%s' still owns %s %s (plugin %s)", name,
				 json_string_value(json_object_get(e, "kind")),
				 json_string_value(json_object_get(e, "id")),
				 json_string_value(json_object_get(e, "plugin")));
		fprintf(stderr, "lia-core: VM '%s' kept its record because of the objects above; `lia-core gc` retries\n", name);
		rc = EXIT_FAIL;
	}
	if (!rc) {
		record_delete(r);
		char *lock = xasprintf("%s/%s.lock", a->st.vms, name);
		unlink(lock);
		free(lock);
		if (!lia_quiet && !a->json)
			printf("destroyed VM '%s'\n", name);
	}
	record_close(r);
	return rc;
}

/* The state a reader should believe: a "running" VM whose process died is stopped. */
static const char *effective_state(struct vm_record *r)
{
	const char *st = rec_state(r);
	if (st && strcmp(st, "running") == 0 && record_process_alive(r) == 0)
		return "stopped";
	return st ? st : "?";
}

static json_t *vm_summary(struct vm_record *r)
{
	json_t *d = json_object_get(r->root, "data");
	json_t *j = json_pack("{s:s,s:s,s:s}", "name", r->name, "state", effective_state(r), "recorded_state",
			      rec_state(r) ? rec_state(r) : "?");
	const char *keys[] = { "net.ip", "net.tap", "vsock.cid", "fc.pid", "ready", NULL };
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(d, keys[i]);
		if (v)
			json_object_set(j, keys[i], v);
	}
	json_object_set(j, "vcpus", json_object_get(r->root, "vcpus"));
	json_object_set(j, "mem_mib", json_object_get(r->root, "mem_mib"));
	return j;
}

static int vm_list(struct app *a)
{
	int rc = app_load(a);
	if (rc)
		return rc;
	char **names;
	size_t n;
	record_names(&a->st, &names, &n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct vm_record *r;
		if (record_open(&a->st, names[i], 0, 0, &r) == 0) {
			json_array_append_new(arr, vm_summary(r));
			record_close(r);
		}
		free(names[i]);
	}
	free(names);
	if (a->json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-20s %-10s %-15s %-16s %-6s %s\n", "NAME", "STATE", "IP", "TAP", "CID", "PID");
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v) {
			json_t *cid = json_object_get(v, "vsock.cid"), *pid = json_object_get(v, "fc.pid");
			const char *ip = json_string_value(json_object_get(v, "net.ip"));
			const char *tap = json_string_value(json_object_get(v, "net.tap"));
			printf("%-20s %-10s %-15s %-16s %-6lld %lld\n", json_string_value(json_object_get(v, "name")),
			       json_string_value(json_object_get(v, "state")), ip ? ip : "-", tap ? tap : "-",
			       cid ? (long long)json_integer_value(cid) : 0LL,
			       pid ? (long long)json_integer_value(pid) : 0LL);
		}
	}
	json_decref(arr);
	return 0;
}

static int vm_show(struct app *a, const char *name)
{
	int rc = app_load(a);
	if (rc)
		return rc;
	if (bad_name(name))
		return EXIT_USAGE;
	struct vm_record *r;
	int e = record_open(&a->st, name, 0, 0, &r);
	if (e < 0) {
		fprintf(stderr, "lia-core: no VM named '%s' (see `lia-core vm list`)\n", name);
		return EXIT_FAIL;
	}
	json_t *j = json_deep_copy(r->root);
	json_object_set_new(j, "state", json_string(effective_state(r)));
	json_object_set(j, "recorded_state", json_object_get(r->root, "state"));
	if (a->json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) {
			if (json_is_object(v) || json_is_array(v))
				continue;
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			printf("%-16s %s\n", k, s);
			free(s);
		}
		json_object_foreach(json_object_get(j, "data"), k, v) {
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			printf("%-16s %s\n", k, s);
			free(s);
		}
		size_t i;
		json_array_foreach(json_object_get(j, "ledger"), i, v)
			printf("owns            %s %s (%s)\n", json_string_value(json_object_get(v, "kind")),
			       json_string_value(json_object_get(v, "id")),
			       json_string_value(json_object_get(v, "plugin")));
	}
	json_decref(j);
	record_close(r);
	return 0;
}

/* `vm CMD NAME ARGS`: a command a plugin provides (vm_commands) */
static int vm_plugin_cmd(struct app *a, int argc, char **argv)
{
	int rc = app_load(a);
	if (rc)
		return rc;
	for (size_t i = 0; i < a->nplugins; i++) {
		for (const struct lia_command *c = a->plugins[i].desc->vm_commands; c && c->name; c++) {
			if (strcmp(c->name, argv[0]) != 0)
				continue;
			if (argc < 2) {
				fprintf(stderr, "usage: lia-core vm %s\n", c->usage ? c->usage : c->name);
				return EXIT_USAGE;
			}
			if (bad_name(argv[1]))
				return EXIT_USAGE;
			struct vm_record *r;
			if (record_open(&a->st, argv[1], 0, 0, &r) < 0) {
				fprintf(stderr, "lia-core: no VM named '%s' (see `lia-core vm list`)\n", argv[1]);
				return EXIT_FAIL;
			}
			if ((rc = app_open_plugins(a)) == 0) {
				struct core_ctx cc;
				ctx_init(&cc, a, &a->plugins[i], "vm", LIA_PHASE_NONE, r);
				rc = c->run(&cc.pub, a->plugins[i].state, argc - 1, argv + 1);
				if (rc && cc.err[0])
					fprintf(stderr, "lia-core: vm %s: %s\n", c->name, cc.err);
				if (rc < 0)
					rc = EXIT_FAIL;
				ctx_fini(&cc);
			}
			record_close(r);
			return rc;
		}
	}
	fprintf(stderr, "lia-core: unknown vm command '%s' (create, start, stop, destroy, list, show, or a plugin's)\n",
		argv[0]);
	return EXIT_USAGE;
}

int cmd_vm(struct app *a, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lia-core vm create|start|stop|destroy|list|show|CMD ...\n");
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	/* --json and --dry-run are accepted after the sub-command too */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--dry-run") == 0) {
			if (argv[i][2] == 'j')
				a->json = 1;
			else
				a->dry_run = 1;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(char *));
			argc--;
			i--;
		}
	}
	if (strcmp(sub, "create") == 0)
		return vm_create(a, argc, argv);
	if (strcmp(sub, "stop") == 0)
		return vm_stop(a, argc, argv);
	if (strcmp(sub, "list") == 0)
		return vm_list(a);
	if (strcmp(sub, "show") == 0) {
		if (argc != 2) {
			fprintf(stderr, "usage: lia-core vm show NAME\n");
			return EXIT_USAGE;
		}
		return vm_show(a, argv[1]);
	}
	if (strcmp(sub, "start") == 0 || strcmp(sub, "destroy") == 0) {
		/* several VMs in one process: the start-up cost of lia-core is paid once */
		if (argc < 2) {
			fprintf(stderr, "usage: lia-core vm %s NAME [NAME...]\n", sub);
			return EXIT_USAGE;
		}
		for (int i = 1; i < argc; i++)
			if (bad_name(argv[i]))
				return EXIT_USAGE;
		int worst = 0;
		for (int i = 1; i < argc; i++) {
			int rc = sub[0] == 's' ? vm_start(a, argv[i]) : vm_destroy(a, argv[i]);
			if (rc > worst)
				worst = rc;
			if (rc == EXIT_USAGE)
				break; /* the configuration is bad: the next VM would fail alike */
		}
		return worst;
	}
	return vm_plugin_cmd(a, argc, argv);
}
