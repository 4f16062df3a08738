/* The index of the VM records (state_dir/vms/.index): for each record its state, its
 * ledger (leases included) and what `vm list` shows, so that finding a free lease, asking
 * whether a ledger entry is owned or listing VMs does not parse every record.
 *
 * The records stay the truth; the index is a cache of them, checked before use:
 *  - each entry carries the stamp of the record file it was read from (inode, ctime, size);
 *    the first use in a process stats every record and re-reads those whose stamp differs,
 *    those the index lacks (an older lia-core, a hand edit, a crash between a record's
 *    rename and the index's append) and drops entries whose record is gone;
 *  - later uses in the same process trust it while the index file and the vms/ directory
 *    are as this process last saw them: every lia-core changes both only under the state
 *    lock (record_save, record_delete), so a change by anyone else shows in their stamps.
 * A record that does not parse is kept as "corrupt": it blocks every lease and owns every
 * ledger entry, as before.  All functions need the state lock held. */
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
	unsigned long long ino;  /* the stamp of the record file it was read from */
	long long ctime_s, ctime_ns, size;
	int live;
	char *line; /* its line in the file, tokens NUL-separated: the strings above */
	size_t len;
	char *own; /* the buffer to free with it (NULL: the file's, kept by the index) */
};

struct state_index;

/* the record keys `vm list` shows (<lia/record.h>'s roles) */
extern const char *const sidx_view_keys[];

/* The index, checked against the records (see above): 0, or a negative errno when it
 * cannot be read or built (the caller then reads the records itself). */
int sidx_get(struct state *s, struct state_index **out);
size_t sidx_count(struct state_index *x);
struct sidx_entry *sidx_at(struct state_index *x, size_t i); /* NULL: a removed entry */
/* the values of lease kind KIND (as lease_take names it) the entries hold, and for each
 * the entry (sidx_at) holding it; valid until the index changes */
size_t sidx_leases(struct state_index *x, const char *kind, const uint64_t **vals, const size_t **owner);
/* the entries in name order (live ones only); free the array with free() */
struct sidx_entry **sidx_sorted(struct state_index *x, size_t *n);

/* Around a change of vms/ by this process (record write, delete): take the state lock and
 * note whether the index was current, then append the change and let go of the lock. */
void sidx_change_begin(struct state *s);
void sidx_record_saved(struct vm_record *r, int err);
void sidx_record_deleted(struct vm_record *r, int err);
void sidx_free(struct state *s);
char *sidx_encode(const char *plain); /* malloc'd */
char *sidx_decode(const char *enc);   /* malloc'd */

#endif
