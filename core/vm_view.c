/* Looking at VMs: `vm list`, `vm show NAME`, and the vm commands plugins provide. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmds.h"
#include "state_index.h"
#include "table.h"
#include "util.h"
#include "vm_ops.h"

/* a number, or "-" when there is none (no CID, no PID: 0 is never a real one) */
static void num_or_dash(json_t *n, char *buf, size_t len)
{
	if (json_is_integer(n) && json_integer_value(n) > 0)
		snprintf(buf, len, "%lld", (long long)json_integer_value(n));
	else
		snprintf(buf, len, "-");
}

/* a ledger id as a person reads it: a lease of kind ip4 is an IPv4 address held as a
 * number (172.16.0.100, not 2886729828) */
static void ledger_id(const char *kind, const char *id, char *buf, size_t len)
{
	char *end;
	unsigned long long v;
	if (kind && id && strcmp(kind, "lease:ip4") == 0 && *id &&
	    (errno = 0, v = strtoull(id, &end, 10), !*end && !errno && v <= 0xffffffffULL))
		snprintf(buf, len, "%llu.%llu.%llu.%llu", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
	else
		snprintf(buf, len, "%s", id ? id : "?");
}

json_t *vm_summary(struct vm_record *r)
{
	json_t *d = json_object_get(r->root, "data");
	json_t *j = json_pack("{s:s,s:s,s:s}", "name", r->name, "state", vm_effective_state(r),
			      "recorded_state", rec_state_name(r));
	/* the keys of the roles (<lia/record.h>), whichever plugin plays them */
	const char *keys[] = { "net.ip", "net.tap", "vsock.cid", "ready", NULL };
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(d, keys[i]);
		if (v)
			json_object_set(j, keys[i], v);
	}
	/* the VM's process, from the ledger's "pid" entry (PID:STARTTIME), whatever the VMM */
	size_t k;
	json_t *e;
	json_array_foreach(json_object_get(r->root, "ledger"), k, e)
	{
		const char *kind = json_string_value(json_object_get(e, "kind"));
		const char *id = json_string_value(json_object_get(e, "id"));
		if (kind && id && strcmp(kind, "pid") == 0) {
			json_object_set_new(j, "pid", json_integer(strtoll(id, NULL, 10)));
			break;
		}
	}
	json_object_set(j, "vcpus", json_object_get(r->root, "vcpus"));
	json_object_set(j, "mem_mib", json_object_get(r->root, "mem_mib"));
	return j;
}

/* the summaries from the index (state_index.h): no record is parsed; NULL when the index
 * cannot be had (not root: the state lock cannot be taken) */
static json_t *list_from_index(struct app *a)
{
	/* the API daemon lists from several threads: the index and the lock depth are one each */
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct state_index *x;
	struct stat st;
	if (stat(a->st.vms, &st) < 0) /* no VM yet: a read makes no directory */
		return NULL;
	pthread_mutex_lock(&mu);
	if (state_lock(&a->st) < 0) {
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	/* every record's stamp compared: a list shows what the records say, in-place edits
	 * included (a create trusts the directory's stamp; state_index.h) */
	if (sidx_verify(&a->st, &x) < 0) {
		state_unlock(&a->st);
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	size_t n;
	struct sidx_entry **v = sidx_sorted(x, &n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char *name = sidx_decode(v[i]->name);
		struct vm_record *r;
		if (v[i]->corrupt) {
			if (record_open(&a->st, name, 0, 0, &r) == 0) { /* it parses now: list it */
				json_array_append_new(arr, vm_summary(r));
				record_close(r);
			}
			free(name);
			continue;
		}
		char *view = sidx_decode(v[i]->view), *state = sidx_decode(v[i]->state);
		json_t *root = json_loads(view, 0, NULL);
		if (!json_is_object(root)) {
			json_decref(root);
			root = json_object();
		}
		json_object_set_new(root, "state", json_string(state));
		json_t *ledger = json_array();
		for (size_t k = 0; k < v[i]->nled; k++) {
			char *kind = sidx_decode(v[i]->led[k].kind), *id = sidx_decode(v[i]->led[k].id);
			json_array_append_new(ledger, json_pack("{s:s,s:s}", "kind", kind, "id", id));
			free(kind);
			free(id);
		}
		json_object_set_new(root, "ledger", ledger);
		struct vm_record rec = { .name = name, .root = root, .lock_fd = -1 };
		json_array_append_new(arr, vm_summary(&rec));
		json_decref(root);
		free(view);
		free(state);
		free(name);
	}
	free(v);
	state_unlock(&a->st);
	pthread_mutex_unlock(&mu);
	return arr;
}

json_t *vm_list_json(struct app *a)
{
	json_t *fast = list_from_index(a);
	if (fast)
		return fast;
	char **names;
	size_t n;
	int rc = record_names(&a->st, &names, &n);
	if (rc < 0) {
		msg_err("permission denied: cannot read %s: %s (run as root)", a->st.vms, strerror(-rc));
		return NULL;
	}
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
	return arr;
}

int vm_list(struct app *a)
{
	int rc = app_load_state(a); /* records only: no plugin is loaded */
	if (rc)
		return rc;
	json_t *arr = vm_list_json(a);
	if (!arr)
		return EXIT_FAIL;
	if (a->json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		struct table t;
		table_init(&t, 6);
		const char *head[6] = { "NAME", "STATE", "IP", "TAP", "CID", "PID" };
		table_row(&t, head);
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		{
			char cid[24], pid[24];
			num_or_dash(json_object_get(v, "vsock.cid"), cid, sizeof(cid));
			num_or_dash(json_object_get(v, "pid"), pid, sizeof(pid));
			const char *row[6] = { json_string_value(json_object_get(v, "name")),
					       json_string_value(json_object_get(v, "state")),
					       json_string_value(json_object_get(v, "net.ip")),
					       json_string_value(json_object_get(v, "net.tap")),
					       cid,
					       pid };
			table_row(&t, row);
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	json_decref(arr);
	return 0;
}

json_t *vm_detail(struct vm_record *r)
{
	json_t *j = json_deep_copy(r->root);
	json_object_set_new(j, "state", json_string(vm_effective_state(r)));
	json_object_set(j, "recorded_state", json_object_get(r->root, "state"));
	return j;
}

int vm_show(struct app *a, const char *name)
{
	int rc = app_load_state(a); /* records only: no plugin is loaded */
	if (rc)
		return rc;
	if (vm_name_or_usage(name))
		return EXIT_USAGE;
	struct vm_record *r;
	int e = record_open(&a->st, name, 0, 0, &r);
	if (e < 0) {
		if (e == -EBADMSG) /* the line above names the file and the parse error */
			fprintf(stderr, "lia-core: the record of VM '%s' is corrupt; repair or remove it\n",
				name);
		else if (e == -EACCES)
			fprintf(stderr,
				"lia-core: permission denied: cannot read the record of VM '%s' in %s (run as root)\n",
				name, a->st.vms);
		else
			fprintf(stderr, "lia-core: no VM named '%s' (see `lia-core vm list`)\n", name);
		return EXIT_FAIL;
	}
	json_t *j = vm_detail(r);
	if (a->json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		struct table t;
		table_init(&t, 2);
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
		{
			if (json_is_object(v) || json_is_array(v))
				continue;
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			table_kv(&t, k, "%s", s);
			free(s);
		}
		json_object_foreach(json_object_get(j, "data"), k, v)
		{
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			table_kv(&t, k, "%s", s);
			free(s);
		}
		size_t i;
		json_array_foreach(json_object_get(j, "ledger"), i, v)
		{
			const char *kind = json_string_value(json_object_get(v, "kind"));
			char id[64];
			ledger_id(kind, json_string_value(json_object_get(v, "id")), id, sizeof(id));
			table_kv(&t, "owns", "%s %s (%s)", kind ? kind : "?", id,
				 json_string_value(json_object_get(v, "plugin")) ?: "?");
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	json_decref(j);
	record_close(r);
	return 0;
}

/* `vm CMD NAME ARGS`: a command a plugin provides (vm_commands) */
int vm_plugin_cmd(struct app *a, int argc, char **argv)
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
			if (vm_name_or_usage(argv[1]))
				return EXIT_USAGE;
			struct vm_record *r;
			int e = record_open(&a->st, argv[1], 0, 0, &r);
			if (e < 0) {
				fprintf(stderr,
					e == -EBADMSG
						? "lia-core: the record of VM '%s' is corrupt; repair or remove it\n"
						: "lia-core: no VM named '%s' (see `lia-core vm list`)\n",
					argv[1]);
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
	fprintf(stderr,
		"lia-core: unknown vm command '%s' (create, start, stop, destroy, list, show, or a plugin's)\n",
		argv[0]);
	return EXIT_USAGE;
}
