/* The index of the VM records (state_dir/vms/.index): for each record its state, its
 * ledger (leases included) and what `vm list` shows, so that finding a free lease, asking
 * whether a ledger entry is owned or listing VMs does not parse every record.
 *
 * The records stay the truth; the index is a cache of them, checked before use:
 *  - each entry carries the stamp of the record file it was read from (inode, ctime, size),
 *    and the index ends with the stamp of the vms/ directory (inode, mtime, ctime) taken
 *    after the last change it describes;
 *  - the first use in a process compares that stamp with vms/ now.  Equal: nothing was
 *    added, removed or renamed there since.  Different (a record renamed over by a hand or
 *    an older lia-core, added, removed, a crash between a record's rename and the index's
 *    append): one readdir of vms/ finds the records whose inode is not the entry's, which
 *    are read again, and the entries whose record is gone;
 *  - a record edited in place (same inode, same name) changes neither: `vm list` and
 *    `gc` (sidx_verify) stat every record and re-read those whose ctime or size moved;
 *  - later uses in the same process trust it while the index file and vms/ are as this
 *    process last saw them: every lia-core changes both only under the state lock
 *    (record_save, record_delete), so a change by anyone else shows in their stamps.
 * Stamps are the kernel's timestamps: before Linux 6.13 (no multigrain timestamps) a
 * rename by a writer that ignores the state lock in the same clock tick (a few ms) as a
 * lia-core's change is seen only by the next `vm list` or `gc`.
 * A record that does not parse is kept as "corrupt": it blocks every lease and owns every
 * ledger entry, as before.  The file is mapped read-only and checked (stat) at every use:
 * lia-core never writes it in place (appends, or a new file renamed over it); a hand that
 * truncates it in place between that check and a use would fault the process.
 * All functions need the state lock held. */
#ifndef LIA_CORE_STATE_INDEX_H
#define LIA_CORE_STATE_INDEX_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct state;
struct vm_record;

/* The strings of an entry are as in the file: bytes <= ' ', '%' and DEL as %XX (names and
 * lease values never have one).  sidx_encode and sidx_decode convert. */
struct sidx_ledger {
	const char *kind, *id;
};

struct sidx_entry {
	const char *name;
	int corrupt;       /* the record does not parse: it may own anything */
	const char *state; /* "?" when unset */
	size_t nled;
	struct sidx_ledger *led; /* its ledger, leases included */
	const char *view;        /* {"data": {role keys}, "vcpus", "mem_mib"}, compact JSON */
	char *own;               /* its line, tokens NUL-separated: the strings above */
};

struct state_index;

/* the record keys `vm list` shows (<lia/record.h>'s roles) */
extern const char *const sidx_view_keys[];

/* The index, checked against the records (see above): 0, or a negative errno when it
 * cannot be read or built (the caller then reads the records itself). */
int sidx_get(struct state *s, struct state_index **out);
/* the same, every record's stamp compared (in-place edits seen): `vm list`, gc */
int sidx_verify(struct state *s, struct state_index **out);
size_t sidx_count(struct state_index *x);
/* the entry i, parsed on this first call (NULL: a removed entry); valid until the index changes */
struct sidx_entry *sidx_at(struct state_index *x, size_t i);
int sidx_corrupt_at(struct state_index *x, size_t i);      /* without parsing the entry */
size_t sidx_find(struct state_index *x, const char *name); /* SIZE_MAX: none */
/* the values of lease kind KIND (as lease_take names it) the entries but SELF (may be
 * NULL) hold, in no order; valid until the next call */
size_t sidx_leases(struct state_index *x, const char *kind, const char *self, const uint64_t **vals);
/* 1 when an entry but SELF (may be NULL) holds the ledger entry KIND ID (plain strings) or
 * is corrupt */
int sidx_owned(struct state_index *x, const char *kind, const char *id, const char *self);
/* the entries in name order (live ones only); free the array with free() */
struct sidx_entry **sidx_sorted(struct state_index *x, size_t *n);

/* Around a change of vms/ by this process (record write, delete, a VM's lock file): take
 * the state lock and note whether the index was current; sidx_record_saved/_deleted append
 * the change, sidx_change_end lets go of the lock.  They nest: record_create brackets its
 * lock file and its first save. */
void sidx_change_begin(struct state *s);
void sidx_record_saved(struct vm_record *r, int err);   /* and sidx_change_end */
void sidx_record_deleted(struct vm_record *r, int err); /* and sidx_change_end */
void sidx_change_end(struct state *s);
void sidx_free(struct state *s);
char *sidx_encode(const char *plain); /* malloc'd */
char *sidx_decode(const char *enc);   /* malloc'd */

#endif
