#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include "state.h"
#include "events.h"
#include "state_index.h"
#include "util.h"
#include "safe_io.h"

int state_init(struct state *s, const char *state_dir)
{
	memset(s, 0, sizeof(*s));
	s->glock_fd = -1;
	s->dir = xstrdup(state_dir);
	s->vms = xasprintf("%s/vms", state_dir);
	return 0;
}

void state_free(struct state *s)
{
	if (!s->dir)
		return;
	if (s->glock_fd >= 0)
		close(s->glock_fd);
	sidx_free(s);
	free(s->dir);
	free(s->vms);
}

static int ensure_vms_dir(struct state *s)
{
	int r = mkdir_p(s->vms, 0700);
	return r < 0 ? r : 0;
}

/* Lock the file at path; returns the fd.  A lock file may be removed by whoever holds
 * it (destroy, gc); a process that was waiting then holds a lock on a deleted file while
 * the next one locks a new file at the same path.  So after locking, the fd must still
 * be the file at the path; otherwise the lock is worthless and we take the new one
 * (safe_lock; it never follows a link planted at the path). */
static int lock_path(const char *p, int nb)
{
	return safe_lock(p, nb);
}

int state_lock(struct state *s)
{
	if (s->glock_depth++ > 0)
		return 0;
	int r = ensure_vms_dir(s);
	if (r < 0) {
		s->glock_depth--;
		return r;
	}
	char *p = xasprintf("%s/.lock", s->vms);
	s->glock_fd = lock_path(p, 0);
	free(p);
	if (s->glock_fd < 0) {
		r = s->glock_fd;
		s->glock_fd = -1;
		s->glock_depth--;
		return r;
	}
	return 0;
}

void state_unlock(struct state *s)
{
	if (s->glock_depth == 0 || --s->glock_depth > 0)
		return;
	close(s->glock_fd); /* releases the flock */
	s->glock_fd = -1;
}

int vm_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 32)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static int lock_vm(struct state *s, const char *name, int nb)
{
	char *p = xasprintf("%s/%s.lock", s->vms, name);
	int fd = lock_path(p, nb);
	free(p);
	return fd;
}

static struct vm_record *record_new(struct state *s, const char *name)
{
	struct vm_record *r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->path = xasprintf("%s/%s.json", s->vms, name);
	r->lock_fd = -1;
	r->st = s;
	return r;
}

/* one event per change of the state on disk (events.h); a lost event is only a warning */
static void note_state(struct vm_record *r, const char *now)
{
	if (!r->st || (r->saved_state && now && strcmp(r->saved_state, now) == 0))
		return;
	int e = events_append(r->st->dir, r->name, r->saved_state, now);
	if (e < 0)
		msg_warn("cannot append to the event log in %s: %s", r->st->dir, strerror(-e));
	free(r->saved_state);
	r->saved_state = now ? xstrdup(now) : NULL;
}

void record_note_state(struct vm_record *r)
{
	note_state(r, json_string_value(json_object_get(r->root, "state")));
}

static char *iso_now(void)
{
	time_t t = time(NULL);
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

int record_save(struct vm_record *r)
{
	char *ts = iso_now();
	json_object_set_new(r->root, "updated_at", json_string(ts));
	free(ts);
	char *text = json_dumps(r->root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	text = realloc(text, len + 2);
	text[len] = '\n';
	sidx_change_begin(r->st); /* the index follows the record, under the state lock */
	int e = safe_write_atomic(r->path, text, len + 1, 0600); /* O_EXCL temp, no link followed */
	sidx_record_saved(r, e);
	free(text);
	if (e == 0) {
		r->dirty = r->ledger_dirty = 0;
		record_ledger_saved(r);
		note_state(r, json_string_value(json_object_get(r->root, "state")));
	}
	return e;
}

int record_create(struct state *s, const char *name, json_t *fields, struct vm_record **out)
{
	*out = NULL;
	int e = state_lock(s);
	if (e < 0)
		return e;
	struct vm_record *r = record_new(s, name);
	struct stat st;
	if (lstat(r->path, &st) == 0) { /* anything there, even a dangling link */
		state_unlock(s);
		record_close(r);
		return -EEXIST;
	}
	r->root = json_deep_copy(fields);
	char *ts = iso_now();
	json_object_set_new(r->root, "name", json_string(name));
	rec_set_state(r, VM_CREATING);
	json_object_set_new(r->root, "created_at", json_string(ts));
	free(ts);
	if (!json_object_get(r->root, "data"))
		json_object_set_new(r->root, "data", json_object());
	json_object_set_new(r->root, "ledger", json_array());
	json_object_set_new(r->root, "owner",
			    json_pack("{s:I,s:I}", "pid", (json_int_t)getpid(), "start",
				      (json_int_t)proc_start_time(getpid())));
	/* the VM lock first (nobody else can hold it: the record does not exist yet); its lock
	 * file and the record are one change of vms/ for the index */
	sidx_change_begin(s);
	r->lock_fd = lock_vm(s, name, 1);
	if (r->lock_fd < 0) {
		e = r->lock_fd;
		sidx_change_end(s);
		state_unlock(s);
		record_close(r);
		return e;
	}
	e = record_save(r);
	sidx_change_end(s);
	state_unlock(s);
	if (e < 0) {
		record_close(r);
		return e;
	}
	*out = r;
	return 0;
}

static json_t *load_json(const char *path, int *err)
{
	json_error_t je;
	json_t *j = safe_load_json(path, &je, err); /* a regular file, no link followed */
	if (!j) {
		if (*err == -EBADMSG)
			msg_err("%s:%d: corrupt VM record: %s", path, je.line, je.text);
		else if (*err != -ENOENT)
			msg_err("%s: corrupt VM record: %s", path, je.text);
		if (*err != -ENOENT)
			*err = -EBADMSG; /* whatever it is, it may hold leases: treat it as corrupt */
	} else if (!json_is_object(j)) {
		/* valid JSON, but no record: every command refuses it like a corrupt one */
		msg_err("%s: corrupt VM record: not a JSON object", path);
		json_decref(j);
		j = NULL;
		*err = -EBADMSG;
	}
	return j;
}

int record_open(struct state *s, const char *name, int lock, int nb, struct vm_record **out)
{
	*out = NULL;
	if (!vm_name_valid(name))
		return -EINVAL;
	struct vm_record *r = record_new(s, name);
	if (access(r->path, F_OK) != 0) {
		int e = errno == EACCES ? -EACCES : -ENOENT; /* not root: not "no such VM" */
		record_close(r);
		return e;
	}
	if (lock) {
		r->lock_fd = lock_vm(s, name, nb);
		if (r->lock_fd < 0) {
			int e = r->lock_fd;
			r->lock_fd = -1;
			record_close(r);
			return e;
		}
	}
	int e = 0;
	r->root = load_json(r->path, &e);
	if (!r->root) {
		record_close(r);
		return e;
	}
	const char *now = json_string_value(json_object_get(r->root, "state"));
	r->saved_state = xstrdup(now ? now : "?");
	record_ledger_saved(r);
	*out = r;
	return 0;
}

int record_delete(struct vm_record *r)
{
	sidx_change_begin(r->st);
	int e = unlink(r->path) < 0 && errno != ENOENT ? -errno : 0;
	if (e == 0 && r->lock_fd >= 0) {
		/* its lock file goes while we hold it (a waiter re-checks the path), in the same
		 * change of vms/ as the record: the index's stamp of vms/ stays true */
		char *lock = xasprintf("%s/%s.lock", r->st->vms, r->name);
		unlink(lock);
		free(lock);
	}
	sidx_record_deleted(r, e);
	if (e < 0)
		return e;
	r->ledger_dirty = 0; /* nothing left to carry */
	note_state(r, "deleted");
	return 0;
}

void record_close(struct vm_record *r)
{
	if (!r)
		return;
	/* a ledger_del no later save carried (a path that ends without a state change): saved
	 * now, while the VM lock is still held; a failure leaves a harmless stale entry */
	if (r->ledger_dirty && r->lock_fd >= 0 && record_save(r) < 0)
		msg_warn("cannot write the record of VM '%s' (%s); its ledger may name removed objects",
			 r->name, r->path);
	if (r->lock_fd >= 0) {
		/* the lock file stays: removing it would race a process waiting on it */
		close(r->lock_fd);
	}
	json_decref(r->root);
	json_decref(r->saved_ledger);
	free(r->saved_state);
	free(r->name);
	free(r->path);
	free(r);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int record_names(struct state *s, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(s->vms);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	size_t cap = 16, k = 0;
	char **v = xcalloc(cap, sizeof(char *));
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (k == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(char *));
		}
		v[k++] = strndup(e->d_name, len - 5);
	}
	closedir(d);
	qsort(v, k, sizeof(char *), cmpstr);
	*names = v;
	*n = k;
	return 0;
}

const char *rec_str(struct vm_record *r, const char *key)
{
	json_t *v = json_object_get(r->root, key);
	if (!v)
		v = json_object_get(json_object_get(r->root, "data"), key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t rec_int(struct vm_record *r, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(r->root, key);
	if (!v)
		v = json_object_get(json_object_get(r->root, "data"), key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return dflt;
}

void rec_set_state(struct vm_record *r, enum vm_state state)
{
	json_object_set_new(r->root, "state", json_string(vm_state_name(state)));
}

enum vm_state rec_state(struct vm_record *r)
{
	return vm_state_from_name(json_string_value(json_object_get(r->root, "state")));
}

const char *rec_state_name(struct vm_record *r)
{
	const char *s = json_string_value(json_object_get(r->root, "state"));
	return s ? s : "?";
}

static json_t *ledger(struct vm_record *r)
{
	json_t *l = json_object_get(r->root, "ledger");
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(r->root, "ledger", l);
	}
	return l;
}

static int ledger_find(json_t *l, const char *kind, const char *id)
{
	size_t i;
	json_t *e;
	json_array_foreach(l, i, e)
	{
		const char *k = json_string_value(json_object_get(e, "kind"));
		const char *v = json_string_value(json_object_get(e, "id"));
		if (k && v && strcmp(k, kind) == 0 && strcmp(v, id) == 0)
			return (int)i;
	}
	return -1;
}

void record_ledger_saved(struct vm_record *r)
{
	json_decref(r->saved_ledger);
	r->saved_ledger = json_deep_copy(ledger(r));
}

/* must_save: written now even while the record holds its saves (a lease) */
static int ledger_add_as(struct vm_record *r, const char *kind, const char *id, const char *plugin,
			 int must_save)
{
	json_t *l = ledger(r);
	if (ledger_find(l, kind, id) >= 0)
		return 0;
	json_array_append_new(
		l, json_pack("{s:s,s:s,s:s}", "kind", kind, "id", id, "plugin", plugin ? plugin : "core"));
	/* already on disk (taken out by a ledger_del not saved yet and put back, as net-tap's
	 * ownership check does): nothing to write */
	if (!must_save && r->saved_ledger && ledger_find(r->saved_ledger, kind, id) >= 0)
		return 0;
	if (!must_save && r->hold_saves) { /* prepare(): the core saves them all at once */
		r->ledger_dirty = 1;
		return 0;
	}
	return record_save(r);
}

int ledger_add(struct vm_record *r, const char *kind, const char *id, const char *plugin)
{
	return ledger_add_as(r, kind, id, plugin, 0);
}

json_t *ledger_snapshot(struct vm_record *r)
{
	return json_deep_copy(ledger(r));
}

json_t *ledger_added_since(struct vm_record *r, json_t *before)
{
	json_t *added = json_array(), *e;
	size_t i;
	json_array_foreach(ledger(r), i, e)
	{
		const char *k = json_string_value(json_object_get(e, "kind"));
		const char *v = json_string_value(json_object_get(e, "id"));
		if (k && v && ledger_find(before, k, v) < 0)
			json_array_append(added, e);
	}
	return added;
}

void ledger_del_all(struct vm_record *r, json_t *entries)
{
	json_t *e;
	size_t i;
	json_array_foreach(entries, i, e)
	{
		const char *k = json_string_value(json_object_get(e, "kind"));
		const char *v = json_string_value(json_object_get(e, "id"));
		if (k && v)
			ledger_del(r, k, v);
	}
}

int ledger_del(struct vm_record *r, const char *kind, const char *id)
{
	json_t *l = ledger(r);
	int i = ledger_find(l, kind, id);
	if (i < 0)
		return 0;
	json_array_remove(l, (size_t)i);
	/* no save of its own: an entry whose object is gone is harmless (undo and gc succeed
	 * when there is nothing to undo), so the next save of the record (the state change at
	 * the pipeline's end, a batch's group commit, at the latest record_close) carries it */
	r->ledger_dirty = 1;
	return 0;
}

/* a corrupt record may own anything: load_json names the file and the parse error */
static void say_corrupt(struct state *s, const char *name)
{
	char *p = xasprintf("%s/%s.json", s->vms, name);
	int e = 0;
	json_decref(load_json(p, &e));
	free(p);
}

/* ledger_owned by reading every record (but self's): when the index cannot be had */
static int ledger_owned_scan(struct state *s, const char *self, const char *kind, const char *id)
{
	char **names;
	size_t n;
	int owned = 0;
	if (record_names(s, &names, &n) < 0)
		return 1; /* cannot tell: never let gc remove it */
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s.json", s->vms, names[i]);
		int e = 0;
		json_t *j = owned || (self && strcmp(names[i], self) == 0) ? NULL : load_json(p, &e);
		if (!j && e == -EBADMSG)
			owned = 1; /* a corrupt record might own it */
		if (j && ledger_find(json_object_get(j, "ledger"), kind, id) >= 0)
			owned = 1;
		json_decref(j);
		free(p);
		free(names[i]);
	}
	free(names);
	return owned;
}

int ledger_owned(struct state *s, struct vm_record *self, const char *kind, const char *id)
{
	struct state_index *x;
	/* self's ledger is the one in memory: its changes may not be saved yet (ledger_del) */
	if (self && self->root && ledger_find(ledger(self), kind, id) >= 0)
		return 1;
	const char *me = self ? self->name : NULL;
	if (state_lock(s) < 0)
		return ledger_owned_scan(s, me, kind, id);
	if (sidx_get(s, &x) < 0) {
		state_unlock(s);
		return ledger_owned_scan(s, me, kind, id);
	}
	int owned = sidx_owned(x, kind, id, me); /* a corrupt record might own it */
	state_unlock(s);
	return owned;
}

int record_process_alive(struct vm_record *r)
{
	size_t i;
	json_t *e;
	int any = -1;
	json_array_foreach(ledger(r), i, e)
	{
		const char *k = json_string_value(json_object_get(e, "kind"));
		const char *v = json_string_value(json_object_get(e, "id"));
		if (!k || !v || strcmp(k, "pid") != 0)
			continue;
		if (pid_id_alive(v))
			return 1;
		any = 0;
	}
	return any;
}

int lease_get(struct vm_record *r, const char *kind, uint64_t *out)
{
	char *k = xasprintf("lease:%s", kind);
	size_t i;
	json_t *e;
	int found = -ENOENT;
	json_array_foreach(ledger(r), i, e)
	{
		const char *ek = json_string_value(json_object_get(e, "kind"));
		const char *v = json_string_value(json_object_get(e, "id"));
		if (ek && v && strcmp(ek, k) == 0) {
			*out = strtoull(v, NULL, 10);
			found = 0;
			break;
		}
	}
	free(k);
	return found;
}

static void push_used(uint64_t **used, size_t *n, size_t *cap, const char *v)
{
	if (*n == *cap) {
		*cap *= 2;
		*used = realloc(*used, *cap * sizeof(uint64_t));
		if (!*used)
			abort();
	}
	(*used)[(*n)++] = strtoull(v, NULL, 10);
}

/* the values of lease kind k (lease:KIND) every record but self holds, by reading them
 * all: when the index cannot be had.  0 or -EBADMSG (a corrupt record) */
static int used_scan(struct state *s, const char *self, const char *k, uint64_t **used, size_t *used_n,
		     size_t *used_cap)
{
	char **names;
	size_t n;
	int corrupt = 0;
	record_names(s, &names, &n);
	for (size_t i = 0; i < n; i++) {
		if (!self || strcmp(names[i], self) != 0) {
			char *p = xasprintf("%s/%s.json", s->vms, names[i]);
			int le = 0;
			json_t *j = load_json(p, &le);
			/* an unreadable record may hold any value: none can be handed out */
			corrupt |= !j && le == -EBADMSG;
			size_t x;
			json_t *ent;
			json_array_foreach(json_object_get(j, "ledger"), x, ent)
			{
				const char *ek = json_string_value(json_object_get(ent, "kind"));
				const char *v = json_string_value(json_object_get(ent, "id"));
				if (ek && v && strcmp(ek, k) == 0)
					push_used(used, used_n, used_cap, v);
			}
			json_decref(j);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return corrupt ? -EBADMSG : 0;
}

/* the same from the index */
static int used_index(struct state *s, struct state_index *x, const char *self, const char *kind,
		      uint64_t **used, size_t *used_n, size_t *used_cap)
{
	int corrupt = 0;
	for (size_t i = 0; i < sidx_count(x); i++) {
		struct sidx_entry *e = sidx_corrupt_at(x, i) ? sidx_at(x, i) : NULL; /* parse only those */
		if (e) {
			char *name = sidx_decode(e->name);
			corrupt = 1;
			if (!self || strcmp(name, self) != 0)
				say_corrupt(s, name);
			free(name);
		}
	}
	const uint64_t *vals;
	size_t n = sidx_leases(x, kind, self, &vals);
	for (size_t i = 0; i < n; i++) {
		if (*used_n == *used_cap) {
			*used_cap *= 2;
			*used = realloc(*used, *used_cap * sizeof(uint64_t));
			if (!*used)
				abort();
		}
		(*used)[(*used_n)++] = vals[i];
	}
	return corrupt ? -EBADMSG : 0;
}

/* The lowest value of [lo, hi] of `kind` that no record but `self` (may be NULL) holds;
 * the caller holds the state lock.  0, -EBADMSG or -ENOSPC. */
static int lowest_free(struct state *s, const char *self, const char *kind, uint64_t lo, uint64_t hi,
		       uint64_t *out)
{
	char *k = xasprintf("lease:%s", kind);
	size_t used_n = 0, used_cap = 64;
	uint64_t *used = xcalloc(used_cap, sizeof(uint64_t));
	struct state_index *x;
	int e = sidx_get(s, &x) == 0 ? used_index(s, x, self, kind, &used, &used_n, &used_cap)
				     : used_scan(s, self, k, &used, &used_n, &used_cap);
	free(k);
	if (e < 0) {
		free(used);
		return e;
	}
	/* n values taken: the lowest free one is among lo .. lo + n (no sort needed) */
	unsigned char *taken = xcalloc(used_n + 1, 1);
	for (size_t i = 0; i < used_n; i++)
		if (used[i] >= lo && used[i] - lo <= used_n)
			taken[used[i] - lo] = 1;
	size_t off = 0;
	while (taken[off])
		off++;
	free(taken);
	free(used);
	uint64_t cand = lo + off;
	if (cand > hi || cand < lo)
		return -ENOSPC;
	*out = cand;
	return 0;
}

int lease_peek(struct state *s, struct vm_record *r, const char *kind, uint64_t lo, uint64_t hi,
	       uint64_t *out)
{
	if (r && lease_get(r, kind, out) == 0)
		return 0;
	int e = state_lock(s);
	if (e < 0)
		return e;
	e = lowest_free(s, r ? r->name : NULL, kind, lo, hi, out);
	state_unlock(s);
	return e;
}

int lease_take(struct state *s, struct vm_record *r, const char *kind, uint64_t lo, uint64_t hi,
	       uint64_t *out, const char *plugin)
{
	if (lease_get(r, kind, out) == 0)
		return 0;
	int e = state_lock(s);
	if (e < 0)
		return e;
	uint64_t cand;
	e = lowest_free(s, r->name, kind, lo, hi, &cand);
	if (e == 0) {
		char id[32], *k = xasprintf("lease:%s", kind);
		snprintf(id, sizeof(id), "%" PRIu64, cand);
		e = ledger_add_as(r, k, id, plugin, 1); /* under the state lock: durable before others look */
		free(k);
		if (e == 0)
			*out = cand;
	}
	state_unlock(s);
	return e;
}

int lease_release(struct vm_record *r, const char *kind)
{
	uint64_t v;
	if (lease_get(r, kind, &v) < 0)
		return 0;
	char *k = xasprintf("lease:%s", kind);
	char id[32];
	snprintf(id, sizeof(id), "%" PRIu64, v);
	int e = ledger_del(r, k, id);
	free(k);
	return e;
}

/* NAME.json.tmp.PID in dir of a dead PID: removed, 1 */
static int sweep_dead_tmp(const char *dir, const char *name)
{
	const char *t = strstr(name, ".json.tmp.");
	if (!t || name[0] == '.')
		return 0;
	char *end;
	long pid = strtol(t + 10, &end, 10);
	char *p = xasprintf("%s/%s", dir, name);
	int gone = pid > 0 && !*end && kill((pid_t)pid, 0) < 0 && errno == ESRCH && unlink(p) == 0;
	free(p);
	return gone;
}

/* gc: remove what crashed processes left in vms/ and vms/.tmp: NAME.json.tmp.PID of a dead PID, and
 * NAME.lock without NAME.json (taken first, so nobody holds it; lock_path re-checks, so
 * removing a held lock file is safe for whoever waits on it); and in host/ the memos'
 * PLUGIN.json.tmp.PID of a dead PID.  Returns the count. */
int state_sweep(struct state *s)
{
	DIR *d = opendir(s->vms);
	struct dirent *e;
	int n = 0;
	char *host = xasprintf("%s/host", s->dir);
	DIR *h = opendir(host);
	while (h && (e = readdir(h)))
		n += sweep_dead_tmp(host, e->d_name);
	if (h)
		closedir(h);
	free(host);
	/* the group commits' temp files (state_group.c), never through a link */
	char *tmp = xasprintf("%s/.tmp", s->vms);
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *t = tfd >= 0 ? fdopendir(tfd) : NULL;
	if (!t && tfd >= 0)
		close(tfd);
	while (t && (e = readdir(t)))
		n += sweep_dead_tmp(tmp, e->d_name);
	if (t)
		closedir(t);
	free(tmp);
	if (!d)
		return n;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *p = xasprintf("%s/%s", s->vms, e->d_name);
		if (strstr(e->d_name, ".json.tmp.")) {
			n += sweep_dead_tmp(s->vms, e->d_name);
		} else if (e->d_name[0] != '.' && len > 5 && !strcmp(e->d_name + len - 5, ".lock")) {
			char *name = strndup(e->d_name, len - 5);
			char *rec = xasprintf("%s/%s.json", s->vms, name);
			int fd = vm_name_valid(name) ? lock_path(p, 1) : -1;
			if (fd >= 0 && access(rec, F_OK) != 0 && errno == ENOENT && unlink(p) == 0)
				n++;
			if (fd >= 0)
				close(fd);
			free(rec);
			free(name);
		}
		free(p);
	}
	closedir(d);
	return n;
}
