/* VM records: JSON files under state_dir/vms/, written atomically under flock.
 * The global lock (state_dir/vms/.lock) guards record creation and leases; each VM has
 * its own lock (vms/NAME.lock) held by the lia-core working on it. */
#ifndef LIA_CORE_STATE_H
#define LIA_CORE_STATE_H
#include <jansson.h>
#include <stdint.h>
#include "lifecycle.h"

struct state {
	char *dir; /* state_dir */
	char *vms; /* state_dir/vms */
	int glock_fd;
	int glock_depth;
	struct state_index *idx; /* the records' index, once read (state_index.h) */
	int idx_unlocked;        /* a change in vms/ went on without the state lock */
};

struct vm_record {
	char *name;
	char *path;
	json_t *root;
	int lock_fd;
	int dirty;            /* plugin data changed since the last save */
	int ledger_dirty;     /* a ledger entry removed since the last save (saved lazily) */
	int hold_saves;       /* prepare(): ledger_add appends without a save (the core saves) */
	json_t *saved_ledger; /* the ledger as last read or written */
	struct state *st;
	char *saved_state; /* the state on disk: a save that changes it appends an event */
};

int state_init(struct state *s, const char *state_dir);
void state_free(struct state *s);
int state_lock(struct state *s);
void state_unlock(struct state *s);

int vm_name_valid(const char *name);
/* Create a new record (state "creating"); -EEXIST when the VM exists. Locks it. */
int record_create(struct state *s, const char *name, json_t *fields, struct vm_record **out);
/* Load a record; with lock, take its VM lock (blocking, or LOCK_NB when nb: -EWOULDBLOCK) */
int record_open(struct state *s, const char *name, int lock, int nb, struct vm_record **out);
int record_save(struct vm_record *r);
int record_delete(struct vm_record *r); /* removes the file; the record stays open */
/* Save many records with shared flushes (state_group.c: each temp file durable before its
 * rename, one fsync of vms/ for all): 0, or -EIO with each record's errno in errs[i] */
int records_save_group(struct vm_record **rs, size_t n, int *errs);
void record_note_state(struct vm_record *r); /* after a save: the event of a state change */
void record_close(struct vm_record *r);
/* names of all records, sorted; free with free() each and the array */
int record_names(struct state *s, char ***names, size_t *n);
/* gc: remove temp files of dead writers and lock files without a record; the count */
int state_sweep(struct state *s);

const char *rec_str(struct vm_record *r, const char *key); /* core key or data.key */
int64_t rec_int(struct vm_record *r, const char *key, int64_t dflt);
void rec_set_state(struct vm_record *r, enum vm_state state);
enum vm_state rec_state(struct vm_record *r);
const char *rec_state_name(struct vm_record *r); /* the recorded text, "?" when unset */

/* Adds the entry and saves the record, unless the entry is already there (in memory or,
 * put back after a ledger_del, on disk) or the record holds its saves (prepare) */
int ledger_add(struct vm_record *r, const char *kind, const char *id, const char *plugin);
/* after a save or a load: what is on disk (state_group.c) */
void record_ledger_saved(struct vm_record *r);
/* Removes the entry in memory only: the record's next save carries it (at the latest
 * record_close) */
int ledger_del(struct vm_record *r, const char *kind, const char *id);
/* prepare(): a copy of the ledger; the entries added since that copy; ledger_del of each */
json_t *ledger_snapshot(struct vm_record *r);
json_t *ledger_added_since(struct vm_record *r, json_t *before);
void ledger_del_all(struct vm_record *r, json_t *entries);
/* 1 when a VM record's ledger holds (kind, id): self's (may be NULL) as it is in memory,
 * every other record as saved */
int ledger_owned(struct state *s, struct vm_record *self, const char *kind, const char *id);
/* alive: 1 when the record's "pid" ledger entries name a live process, 0 none alive,
 * -1 when it has no pid entry */
int record_process_alive(struct vm_record *r);

int lease_take(struct state *s, struct vm_record *r, const char *kind, uint64_t lo, uint64_t hi,
	       uint64_t *out, const char *plugin);
int lease_get(struct vm_record *r, const char *kind, uint64_t *out);
/* what lease_take would hand out now, without taking it; r may be NULL */
int lease_peek(struct state *s, struct vm_record *r, const char *kind, uint64_t lo, uint64_t hi,
	       uint64_t *out);
int lease_release(struct vm_record *r, const char *kind);

#endif
