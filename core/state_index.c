/* The index of the VM records: see state_index.h for what it holds and why it can be
 * trusted.  The file, state_dir/vms/.index, is lines of space-separated tokens:
 *   lia-index 1                                              (first line)
 *   + NAME INO CTIME_S CTIME_NS SIZE STATE NLED KIND ID ... VIEW CHECK   (an entry)
 *   ! NAME INO CTIME_S CTIME_NS SIZE CHECK                   (a record that does not parse)
 *   - NAME CHECK                                             (a record removed)
 *   = INO MTIME_S MTIME_NS CTIME_S CTIME_NS CHECK            (vms/ after the lines before)
 * A file rewritten whole starts, after the first line, with its entries in two blocks:
 *   @ HEADBYTES VIEWBYTES CHECK                              (the sizes of the two blocks)
 *   h NAME INO NLED KIND ID ... CHECK                        (what every command reads)
 *   v NAME CTIME_S CTIME_NS SIZE STATE VIEW CHECK            (what vm list and gc read)
 * so that a create maps the whole file but touches only the heads ("!" lines are heads
 * too); an entry whose "v" line is missing or damaged is read from its record again.
 * A later line for a name replaces the earlier one.  Text tokens start with ':' and have
 * bytes <= ' ', '%' and DEL as %XX.  CHECK is a hash (line_hash, 8 hex digits) of the line
 * before it: a line torn by a crash, and everything after it, is ignored (the last line is
 * then no stamp, and the directory is read again).  Changes are appended; the file is
 * rewritten whole (temp file + rename) when it is missing or broken, and by the commands
 * that check every record (`vm list`, gc) when lines outnumber twice the entries.
 *
 * Reading is the cost of every command, so it is lazy: the file is mapped read-only, each
 * line's check and name are read, and nothing else until asked (leases of one kind are
 * picked from the lines; an entry is parsed into a sidx_entry only by sidx_at).  Fresh
 * memory is what costs most (a page fault each page), so nothing is copied whole. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "state.h"
#include "safe_io.h"
#include "state_index.h"
#include "util.h"

#define SIDX_MAGIC "lia-index 1\n"
#define NONE ((size_t)-1)

const char *const sidx_view_keys[] = { "net.ip", "net.tap", "vsock.cid", "ready", NULL };

/* a file's or a directory's identity and times */
struct stamp {
	unsigned long long ino;
	long long ms, mns, cs, cns, size;
};

/* an entry: its line as in the file (newline included), nothing else read from it */
struct ent {
	const char *line; /* in the map, or malloc'd (own) */
	uint32_t len;
	uint8_t live, corrupt, own, head; /* head: an "h" line, its "v" line not joined yet */
};

struct lease_cache {
	char *kind; /* encoded "lease:KIND" */
	size_t klen;
	uint64_t *vals;
	size_t n, cap;
};

struct buf {
	char *p;
	size_t n, cap;
};

struct state_index {
	struct ent *e;
	size_t n, cap;
	struct sidx_entry **full; /* [cap]: the entries parsed by sidx_at (made on first use) */
	uint32_t *slot;           /* open addressing: entry index + 1, 0 empty */
	size_t nslot;
	const char *map; /* the file as mapped: the lines of the entries read from it */
	size_t maplen;
	const char *views; /* the "v" block (vlen bytes), joined to the heads when needed */
	size_t vlen;
	size_t lines;       /* lines in the file */
	int loaded;         /* the entries were checked against the records in this process */
	int depth;          /* sidx_change_begin nesting */
	int current;        /* set by the outer sidx_change_begin: the file was current before */
	struct buf pending; /* the lines of nested changes, appended by the outer change's end */
	struct lease_cache cache[16];
	int cached;                 /* the caches hold every lease of every entry */
	struct lease_cache scratch; /* one kind, when there are too many kinds for cache[] */
	struct stamp file, dir;     /* the index file and vms/ as this process last saw them */
};

/* ---- small helpers */

static int write_full(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static uint32_t fnv(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* a hash of a line, eight bytes at a time (the index is read on every command) */
static uint32_t line_hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

/* a line ends with " CHECK\n": 1 when CHECK is the hash of what is before it */
static int line_ok(const char *line, size_t n)
{
	if (n < 12 || line[n - 10] != ' ' || line[n - 1] != '\n')
		return 0;
	uint32_t chk = 0;
	for (int k = 0; k < 8; k++) {
		char c = line[n - 9 + k];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
		chk = chk << 4 | (uint32_t)(c >= 'a' ? c - 'a' + 10 : c - '0');
	}
	return chk == line_hash(line, n - 10);
}

/* ---- reading a line without changing it: tokens are (p, n) */

struct tok {
	const char *p;
	size_t n;
};

/* the next token before end (the line without " CHECK\n"); 0 at the end */
static int next_tok(const char **cur, const char *end, struct tok *t)
{
	const char *p = *cur;
	if (p >= end)
		return 0;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		sp = end;
	t->p = p;
	t->n = (size_t)(sp - p);
	*cur = sp + 1;
	return 1;
}

static int tok_num(struct tok t, long long *out)
{
	if (t.n == 0 || t.n > 20)
		return -1;
	int neg = *t.p == '-';
	unsigned long long v = 0;
	for (size_t i = (size_t)neg; i < t.n; i++) {
		if (t.p[i] < '0' || t.p[i] > '9' || v > 922337203685477580ull)
			return -1;
		v = v * 10 + (unsigned)(t.p[i] - '0');
	}
	if (neg && t.n == 1)
		return -1;
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

/* The start of an entry line ("+"/"!"): its name (without ':') and its stamp; cur is left
 * after the stamp.  0, or -1 when the line is not one. */
static int line_head(const char *line, size_t len, struct tok *name, long long st[4], const char **cur,
		     const char **end)
{
	struct tok op, t;
	*cur = line;
	*end = line + len - 10;
	if (!next_tok(cur, *end, &op) || op.n != 1 || (op.p[0] != '+' && op.p[0] != '!') ||
	    !next_tok(cur, *end, name) || name->n < 2 || name->p[0] != ':')
		return -1;
	name->p++;
	name->n--;
	for (int k = 0; k < 4; k++)
		if (!next_tok(cur, *end, &t) || tok_num(t, &st[k]))
			return -1;
	return 0;
}

/* the text token at p (after its ':'), up to the next space before end */
static const char *text_tok(const char *p, const char *end, struct tok *t)
{
	if (p >= end || *p != ':')
		return NULL;
	t->p = ++p;
	while (p < end && *p != ' ')
		p++;
	t->n = (size_t)(p - t->p);
	return p + 1;
}

/* The ledger of an entry line: fn for each (kind, id) pair until it returns non-zero; -1
 * when the line is not one ("!" lines have none).  Every command reads the ledgers of
 * all entries: byte loops, the tokens are short. */
static int line_ledger(const char *line, size_t len, int (*fn)(void *arg, struct tok kind, struct tok id),
		       void *arg)
{
	const char *p = line, *end = line + len - 10;
	if (line[0] == '!')
		return 0;
	if (line[0] != '+' && line[0] != 'h')
		return -1;
	for (int k = 0; k < (line[0] == 'h' ? 3 : 7); k++) { /* op, name, ino (, 3 numbers, state) */
		while (p < end && *p != ' ')
			p++;
		p++;
	}
	unsigned long nled = 0;
	const char *digits = p;
	for (; p < end && *p >= '0' && *p <= '9' && nled < 100000; p++)
		nled = nled * 10 + (unsigned long)(*p - '0');
	/* NLED is the last token of a head ("h") whose ledger is empty */
	if (p == digits || p > end || (p < end && *p != ' '))
		return -1;
	p++;
	for (unsigned long i = 0; i < nled; i++) {
		struct tok k, v;
		if (!(p = text_tok(p, end, &k)) || !(p = text_tok(p, end, &v)))
			return -1;
		if (fn(arg, k, v))
			break;
	}
	return 0;
}

/* ---- writing lines */

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void put_num(struct buf *b, long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), " %lld", v);
	put(b, tmp, (size_t)n);
}

static void put_text(struct buf *b, const char *s)
{
	put(b, " :", 2);
	while (*s) {
		size_t run = 0;
		while (s[run] && (unsigned char)s[run] > ' ' && s[run] != '%' && s[run] != 0x7f)
			run++;
		put(b, s, run);
		s += run;
		if (*s) {
			char esc[4];
			snprintf(esc, sizeof(esc), "%%%02X", (unsigned char)*s++);
			put(b, esc, 3);
		}
	}
}

static void put_check(struct buf *b, size_t start)
{
	char tmp[16];
	snprintf(tmp, sizeof(tmp), " %08" PRIx32 "\n", line_hash(b->p + start, b->n - start));
	put(b, tmp, 10);
}

char *sidx_encode(const char *plain)
{
	struct buf b = { 0 };
	put_text(&b, plain);
	char *r = xstrdup(b.p + 2); /* without " :" */
	free(b.p);
	return r;
}

char *sidx_decode(const char *enc)
{
	char *o = xstrdup(enc), *w = o;
	for (const char *i = enc; *i;) {
		if (*i == '%' && i[1] && i[2]) {
			char hex[3] = { i[1], i[2], 0 };
			*w++ = (char)strtoul(hex, NULL, 16);
			i += 3;
		} else {
			*w++ = *i++;
		}
	}
	*w = 0;
	return o;
}

/* the line of a record read from NAME.json (root NULL: it does not parse) */
static void put_record(struct buf *b, const char *name, const struct stat *st, json_t *root)
{
	size_t start = b->n;
	put(b, root ? "+" : "!", 1);
	put_text(b, name);
	put_num(b, (long long)st->st_ino);
	put_num(b, (long long)st->st_ctim.tv_sec);
	put_num(b, (long long)st->st_ctim.tv_nsec);
	put_num(b, (long long)st->st_size);
	if (root) {
		const char *state = json_string_value(json_object_get(root, "state"));
		put_text(b, state ? state : "?");
		json_t *l = json_object_get(root, "ledger"), *le;
		size_t i, n = 0;
		json_array_foreach(l, i, le) n += json_string_value(json_object_get(le, "kind")) &&
						  json_string_value(json_object_get(le, "id"));
		put_num(b, (long long)n);
		json_array_foreach(l, i, le)
		{
			const char *k = json_string_value(json_object_get(le, "kind"));
			const char *v = json_string_value(json_object_get(le, "id"));
			if (k && v) {
				put_text(b, k);
				put_text(b, v);
			}
		}
		json_t *data = json_object(), *d = json_object_get(root, "data");
		for (int k = 0; sidx_view_keys[k]; k++) {
			json_t *v = json_object_get(d, sidx_view_keys[k]);
			if (v)
				json_object_set(data, sidx_view_keys[k], v);
		}
		json_t *view = json_pack("{s:o}", "data", data);
		json_object_set(view, "vcpus", json_object_get(root, "vcpus"));
		json_object_set(view, "mem_mib", json_object_get(root, "mem_mib"));
		char *text = json_dumps(view, JSON_COMPACT);
		put_text(b, text ? text : "{}");
		free(text);
		json_decref(view);
	}
	put_check(b, start);
}

static void put_removed(struct buf *b, const char *name)
{
	size_t start = b->n;
	put(b, "-", 1);
	put_text(b, name);
	put_check(b, start);
}

static void put_stamp(struct buf *b, const struct stamp *d)
{
	size_t start = b->n;
	put(b, "=", 1);
	put_num(b, (long long)d->ino);
	put_num(b, d->ms);
	put_num(b, d->mns);
	put_num(b, d->cs);
	put_num(b, d->cns);
	put_check(b, start);
}

/* the stamp of a "=" line (its check verified); -1 when it is not one */
static int parse_stamp(const char *line, size_t len, struct stamp *d)
{
	const char *cur = line, *end = line + len - 10;
	struct tok t;
	long long v[5];
	if (!next_tok(&cur, end, &t) || t.n != 1 || t.p[0] != '=')
		return -1;
	for (int k = 0; k < 5; k++)
		if (!next_tok(&cur, end, &t) || tok_num(t, &v[k]))
			return -1;
	if (cur <= end)
		return -1;
	memset(d, 0, sizeof(*d));
	d->ino = (unsigned long long)v[0];
	d->ms = v[1], d->mns = v[2], d->cs = v[3], d->cns = v[4];
	return 0;
}

/* the inode an entry line ("+", "!" or "h") records; -1 when it does not read */
static long long line_ino(const char *line, size_t len)
{
	const char *cur = line, *end = line + len - 10;
	struct tok t;
	long long v;
	if (!next_tok(&cur, end, &t) || !next_tok(&cur, end, &t) || !next_tok(&cur, end, &t) ||
	    tok_num(t, &v))
		return -1;
	return v;
}

/* the "+" line of a head ("h") and its view ("v"; NULL: none, the record's stamp and view
 * unknown), malloc'd; NULL when they do not read or are not of one name */
static char *join_line(const char *h, size_t hl, const char *v, size_t vl)
{
	const char *hc = h, *hend = h + hl - 10, *vc = v, *vend = v ? v + vl - 10 : NULL;
	struct tok op, name, ino, vop, vname, t[5];
	if (!next_tok(&hc, hend, &op) || !next_tok(&hc, hend, &name) || !next_tok(&hc, hend, &ino) ||
	    hc > hend)
		return NULL;
	if (v) {
		if (!next_tok(&vc, vend, &vop) || !next_tok(&vc, vend, &vname) || vname.n != name.n ||
		    memcmp(vname.p, name.p, name.n) != 0)
			return NULL;
		for (int k = 0; k < 5; k++)
			if (!next_tok(&vc, vend, &t[k]))
				return NULL;
		if (vc <= vend)
			return NULL;
	} else {
		t[0] = t[1] = t[2] = (struct tok){ "0", 1 };
		t[3] = (struct tok){ ":?", 2 };
		t[4] = (struct tok){ ":{}", 3 };
	}
	struct buf b = { 0 };
	put(&b, "+ ", 2);
	put(&b, name.p, name.n);
	put(&b, " ", 1);
	put(&b, ino.p, ino.n);
	for (int k = 0; k < 4; k++) { /* ctime s, ns, size, state */
		put(&b, " ", 1);
		put(&b, t[k].p, t[k].n);
	}
	put(&b, " ", 1);
	put(&b, hc, (size_t)(hend - hc)); /* NLED KIND ID ... */
	put(&b, " ", 1);
	put(&b, t[4].p, t[4].n);
	put_check(&b, 0);
	return b.p;
}

/* ---- entries */

static void free_full(struct sidx_entry *f)
{
	if (!f)
		return;
	free(f->led);
	free(f->own);
	free(f);
}

static void ent_clear(struct state_index *x, size_t i)
{
	struct ent *e = &x->e[i];
	if (x->full) {
		free_full(x->full[i]);
		x->full[i] = NULL;
	}
	if (e->own)
		free((char *)e->line);
	memset(e, 0, sizeof(*e));
}

static const char *ent_name(const struct ent *e, size_t *n)
{
	const char *p = e->line + 3, *q = p; /* after "+ :" */
	while (*q != ' ')
		q++;
	*n = (size_t)(q - p);
	return p;
}

static void caches_clear(struct state_index *x)
{
	for (size_t i = 0; i < sizeof(x->cache) / sizeof(x->cache[0]); i++) {
		free(x->cache[i].kind);
		free(x->cache[i].vals);
	}
	memset(x->cache, 0, sizeof(x->cache));
	x->cached = 0;
}

static void rehash_for(struct state_index *x, size_t want)
{
	free(x->slot);
	x->nslot = 64;
	while (x->nslot < want * 4 / 3 + 16)
		x->nslot *= 2;
	x->slot = xcalloc(x->nslot, sizeof(*x->slot));
	for (size_t i = 0; i < x->n; i++) {
		if (!x->e[i].live)
			continue;
		size_t n;
		const char *name = ent_name(&x->e[i], &n);
		size_t h = fnv(name, n) & (x->nslot - 1);
		while (x->slot[h])
			h = (h + 1) & (x->nslot - 1);
		x->slot[h] = (uint32_t)(i + 1);
	}
}

/* the entry of a name (encoded), or NONE */
static size_t lookup(struct state_index *x, const char *name, size_t n)
{
	if (!x->slot)
		return NONE;
	size_t h = fnv(name, n) & (x->nslot - 1);
	for (; x->slot[h]; h = (h + 1) & (x->nslot - 1)) {
		struct ent *e = &x->e[x->slot[h] - 1];
		size_t en;
		if (!e->live)
			continue;
		const char *ename = ent_name(e, &en);
		if (en == n && memcmp(ename, name, n) == 0)
			return x->slot[h] - 1;
	}
	return NONE;
}

/* The lease caches: for each kind, the values every entry holds (a multiset, in no
 * order).  A change of an entry takes its old line's values out and puts its new line's
 * in; no owner is kept (fresh memory is what costs). */
struct cache_op {
	struct state_index *x;
	int del;          /* take the values out instead */
	const char *only; /* the scratch: this kind alone */
	struct lease_cache *c;
};

static void cache_push(struct lease_cache *c, uint64_t v, size_t hint)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : hint + 16; /* about one lease of a kind per entry */
		c->vals = realloc(c->vals, c->cap * sizeof(*c->vals));
		if (!c->vals)
			abort();
	}
	c->vals[c->n++] = v;
}

/* move one occurrence of v to the end of vals[0, *m) and shorten it: 1 when there was one */
static int cache_out(uint64_t *vals, size_t *m, uint64_t v)
{
	for (size_t j = *m; j-- > 0;)
		if (vals[j] == v) {
			vals[j] = vals[*m - 1];
			vals[--*m] = v;
			return 1;
		}
	return 0;
}

/* a lease value as the ledger holds it: decimal digits */
static uint64_t lease_value(struct tok t)
{
	uint64_t v = 0;
	for (size_t i = 0; i < t.n && t.p[i] >= '0' && t.p[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(t.p[i] - '0');
	return v;
}

#define NCACHE (sizeof(((struct state_index *)0)->cache) / sizeof(((struct state_index *)0)->cache[0]))

/* a lease pair of a line to (or out of) the cache of its kind, made on first sight; too
 * many kinds: the caches are dropped and sidx_leases reads the lines for one kind */
static int cache_pair(void *arg, struct tok kind, struct tok id)
{
	struct cache_op *op = arg;
	struct state_index *x = op->x;
	if (op->only) { /* the scratch holds all entries' values, the other one entry's */
		if (kind.n == strlen(op->only) && memcmp(kind.p, op->only, kind.n) == 0)
			cache_push(op->c, lease_value(id), op->c == &x->scratch ? x->n : 0);
		return 0;
	}
	if (!x->cached || kind.n < 7 || memcmp(kind.p, "lease:", 6) != 0)
		return 0;
	size_t k;
	for (k = 0; k < NCACHE && x->cache[k].kind; k++)
		if (x->cache[k].klen == kind.n && memcmp(x->cache[k].kind, kind.p, kind.n) == 0)
			break;
	if (op->del) {
		if (k < NCACHE && x->cache[k].kind)
			cache_out(x->cache[k].vals, &x->cache[k].n, lease_value(id));
		return 0;
	}
	if (k == NCACHE) {
		caches_clear(x);
		return 1;
	}
	if (!x->cache[k].kind) {
		x->cache[k].kind = strndup(kind.p, kind.n);
		x->cache[k].klen = kind.n;
	}
	cache_push(&x->cache[k], lease_value(id), x->n);
	return 0;
}

/* entry i's leases into the caches (del: out of them) */
static void caches_entry(struct state_index *x, size_t i, int del)
{
	if (x->cached && x->e[i].live && !x->e[i].corrupt) {
		struct cache_op op = { x, del, NULL, NULL };
		line_ledger(x->e[i].line, x->e[i].len, cache_pair, &op);
	}
}

/* the "v" block joined to the heads it describes (vm list, gc, a rewrite): each such
 * entry gets its whole "+" line; a "v" line that is damaged or of no head is skipped */
static void join_views(struct state_index *x)
{
	const char *line = x->views, *end = x->views + x->vlen, *nl;
	for (; line && line < end && (nl = memchr(line, '\n', (size_t)(end - line))); line = nl + 1) {
		size_t n = (size_t)(nl - line) + 1, nn = 0;
		if (!line_ok(line, n) || line[0] != 'v' || line[1] != ' ' || line[2] != ':')
			continue;
		while (line + 3 + nn < nl && line[3 + nn] != ' ')
			nn++;
		size_t i = lookup(x, line + 3, nn);
		char *full = i != NONE && x->e[i].head ? join_line(x->e[i].line, x->e[i].len, line, n) : NULL;
		if (!full)
			continue;
		if (x->full) { /* parsed from the head alone */
			free_full(x->full[i]);
			x->full[i] = NULL;
		}
		x->e[i].line = full; /* the same ledger: the lease caches stay */
		x->e[i].len = (uint32_t)strlen(full);
		x->e[i].own = 1;
		x->e[i].head = 0;
	}
	x->views = NULL;
	x->vlen = 0;
}

/* Apply one line (LEN bytes, its newline included, its check verified): an entry set,
 * replaced or removed.  OWN: the line's buffer, to free with the entry (NULL: in the
 * map).  FOLLOW: the lease caches follow (they are built after a whole read).  0, or -1
 * when it is no entry line ("=" lines are the caller's). */
static int apply_line(struct state_index *x, const char *line, size_t len, char *own, int follow)
{
	/* "+ :NAME ", "! :NAME " or "- :NAME CHECK\n": the rest is read when asked for */
	if (len < 14 || line[1] != ' ' || line[2] != ':' ||
	    (line[0] != '+' && line[0] != '!' && line[0] != '-' && line[0] != 'h'))
		return -1;
	int removed = line[0] == '-';
	struct tok name = { line + 3, 0 };
	const char *end = line + len - 10;
	while (name.p + name.n < end && name.p[name.n] != ' ' && name.p[name.n] != '/')
		name.n++;
	if (name.n == 0 ||
	    (removed ? name.p + name.n != end : name.p + name.n >= end || name.p[name.n] != ' '))
		return -1;
	size_t i = lookup(x, name.p, name.n);
	if (removed) {
		if (i != NONE) {
			if (follow)
				caches_entry(x, i, 1);
			ent_clear(x, i);
		}
		free(own);
		return 0;
	}
	if (i == NONE) {
		if (x->n == x->cap) {
			size_t old = x->cap;
			x->cap = x->cap ? x->cap * 2 : 64;
			x->e = realloc(x->e, x->cap * sizeof(*x->e));
			if (!x->e)
				abort();
			if (x->full) {
				x->full = realloc(x->full, x->cap * sizeof(*x->full));
				if (!x->full)
					abort();
				memset(x->full + old, 0, (x->cap - old) * sizeof(*x->full));
			}
		}
		i = x->n++;
		memset(&x->e[i], 0, sizeof(x->e[i]));
		if (!x->slot || x->n * 4 / 3 + 16 > x->nslot) {
			x->e[i].live = 1; /* rehash_for reads its name */
			x->e[i].line = line;
			x->e[i].len = (uint32_t)len;
			rehash_for(x, x->n);
		} else {
			size_t h = fnv(name.p, name.n) & (x->nslot - 1);
			while (x->slot[h])
				h = (h + 1) & (x->nslot - 1);
			x->slot[h] = (uint32_t)(i + 1);
		}
	} else {
		if (follow)
			caches_entry(x, i, 1);
		ent_clear(x, i); /* its slot stays: the name is the same */
	}
	struct ent *e = &x->e[i];
	e->line = line;
	e->len = (uint32_t)len;
	e->own = own != NULL;
	e->corrupt = line[0] == '!';
	e->head = line[0] == 'h';
	e->live = 1;
	if (follow)
		caches_entry(x, i, 0);
	return 0;
}

static void index_clear(struct state_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		ent_clear(x, i);
	caches_clear(x);
	free(x->full);
	free(x->scratch.vals);
	free(x->e);
	free(x->slot);
	if (x->map)
		munmap((void *)x->map, x->maplen);
	int depth = x->depth, current = x->current;
	struct buf pending = x->pending;
	memset(x, 0, sizeof(*x));
	x->depth = depth;
	x->current = current;
	x->pending = pending;
}

static char *index_path(struct state *s)
{
	return xasprintf("%s/.index", s->vms);
}

static void take_stamp(struct stamp *d, const struct stat *st)
{
	memset(d, 0, sizeof(*d));
	d->ino = (unsigned long long)st->st_ino;
	d->ms = (long long)st->st_mtim.tv_sec;
	d->mns = (long long)st->st_mtim.tv_nsec;
	d->cs = (long long)st->st_ctim.tv_sec;
	d->cns = (long long)st->st_ctim.tv_nsec;
}

static int dir_stamp(struct state *s, struct stamp *d)
{
	struct stat st;
	if (lstat(s->vms, &st) < 0)
		return -errno;
	take_stamp(d, &st);
	return 0;
}

/* Read the file into x (emptied first).  1 when it was an index (a missing, unreadable
 * or foreign file gives no entry and 0); *last: the stamp of its last line, when that is
 * a "=" line. */
static int read_file(struct state *s, struct state_index *x, struct stamp *last, int *has_last)
{
	index_clear(x);
	*has_last = 0;
	char *p = index_path(s);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(p);
	struct stat st;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 28) || st.st_size == 0) {
		close(fd);
		return 0;
	}
	size_t len = (size_t)st.st_size, m = strlen(SIDX_MAGIC);
	/* read-only: the lines are never written to, so no page is copied */
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	x->map = map;
	x->maplen = len;
	const char *text = map;
	if (len < m || memcmp(text, SIDX_MAGIC, m) != 0)
		return 0;
	const char *line = text + m, *end = text + len, *nl, *hend = NULL;
	long long hb = 0, vb = 0;
	if (line < end && *line == '@') { /* rewritten whole: the heads, then the views */
		nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) + 1 : 0;
		const char *cur = line, *tend = line + n - 10;
		struct tok t;
		if (!nl || !line_ok(line, n) || !next_tok(&cur, tend, &t) || !next_tok(&cur, tend, &t) ||
		    tok_num(t, &hb) || !next_tok(&cur, tend, &t) || tok_num(t, &vb) || hb < 0 || vb < 0 ||
		    (size_t)hb + (size_t)vb > (size_t)(end - nl - 1))
			return 0; /* nothing trusted: the directory is read, the file rewritten */
		hend = nl + 1 + hb;
	}
	/* the pages of the heads and of the lines after the views, mapped in one call each
	 * (the views are left to the commands that read them); one table for their lines */
	const char *tail = hend ? hend + vb : line;
	size_t lines = 0, pg = (size_t)sysconf(_SC_PAGESIZE);
#ifdef MADV_POPULATE_READ
	size_t tail_pg = (size_t)(tail - text) / pg * pg;
	madvise(map, hend ? (size_t)(hend - text) : len, MADV_POPULATE_READ);
	if (hend && tail_pg < len)
		madvise((char *)map + tail_pg, len - tail_pg, MADV_POPULATE_READ);
#endif
	for (const char *q = line;
	     q < (hend ? hend : end) && (q = memchr(q, '\n', (size_t)((hend ? hend : end) - q))); q++)
		lines++;
	for (const char *q = tail; hend && q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	x->cap = lines + 16;
	x->e = xcalloc(x->cap, sizeof(*x->e));
	rehash_for(x, lines);
	x->lines = 1;
	if (hend) {
		size_t n;
		x->lines++;
		nl = memchr(line, '\n', (size_t)(end - line));
		for (line = nl + 1; line < hend && (nl = memchr(line, '\n', (size_t)(hend - line)));
		     line = nl + 1) {
			n = (size_t)(nl - line) + 1;
			if (!line_ok(line, n) || line[0] == '-' || apply_line(x, line, n, NULL, 0) < 0)
				return 0; /* the lines after it are never read: rewritten whole */
			x->lines++;
		}
		if (line != hend)
			return 0;
		x->views = hend;
		x->vlen = (size_t)vb;
		line = tail;
	}
	while (line < end && (nl = memchr(line, '\n', (size_t)(end - line)))) {
		size_t n = (size_t)(nl - line) + 1;
		if (!line_ok(line, n))
			break; /* torn or damaged: what follows is not trusted either */
		if (line[0] == '=') {
			if (parse_stamp(line, n, last) < 0)
				break;
			*has_last = 1;
		} else if (apply_line(x, line, n, NULL, 0) < 0) {
			break;
		} else {
			*has_last = 0;
		}
		x->lines++;
		line = nl + 1;
	}
	if (line < end) {
		*has_last = 0; /* a torn tail: vms/ may hold what it was about to say */
		return 0;      /* and lines appended after it would never be read: rewritten whole */
	}
	return 1;
}

/* read the record FILE (NAME.json, its stat taken) into the lines to append */
static void read_record(struct state *s, struct buf *out, const char *file, const char *name,
			const struct stat *st)
{
	char *p = xasprintf("%s/%s", s->vms, file);
	json_error_t je;
	int err = 0;
	json_t *j = safe_load_json(p, &je, &err); /* a link or FIFO is corrupt, never followed */
	free(p);
	if (!j && err == -ENOENT)
		put_removed(out, name);
	else
		put_record(out, name, st, json_is_object(j) ? j : NULL);
	json_decref(j);
}

/* the lines of BUF applied to x, each in its own buffer */
static void apply_buf(struct state_index *x, const struct buf *b, int follow)
{
	for (const char *line = b->p, *end = b->p + b->n, *nl; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)(nl - line) + 1;
		if (line[0] == '=')
			continue;
		char *own = xmalloc(n + 1);
		memcpy(own, line, n);
		own[n] = 0;
		if (apply_line(x, own, n, own, follow) < 0)
			free(own);
		x->lines++;
	}
}

/* Compare the entries with vms/: a readdir, and with all, an lstat of every record (its
 * ctime and size).  The lines of what changed go to OUT (and are applied).  0 or -errno. */
static int check_dir(struct state *s, struct state_index *x, int all, struct buf *out)
{
	DIR *d = opendir(s->vms);
	if (!d)
		return -errno;
	if (all)
		join_views(x); /* the stamps of the records are in the views */
	int dfd = dirfd(d);
	unsigned char *seen = xcalloc(x->n + 1, 1);
	size_t n0 = x->n;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		/* the same names record_names lists */
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		char plain[256];
		if (len - 5 >= sizeof(plain))
			continue;
		memcpy(plain, de->d_name, len - 5);
		plain[len - 5] = 0;
		char *name = vm_name_valid(plain) ? plain : sidx_encode(plain);
		size_t i = lookup(x, name, strlen(name));
		struct stat st;
		struct tok nm;
		long long stv[4];
		const char *cur, *end;
		int same = i != NONE && line_ino(x->e[i].line, x->e[i].len) == (long long)de->d_ino;
		if (same && all)
			same = !x->e[i].head &&
			       line_head(x->e[i].line, x->e[i].len, &nm, stv, &cur, &end) == 0 &&
			       fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			       stv[0] == (long long)st.st_ino && stv[1] == (long long)st.st_ctim.tv_sec &&
			       stv[2] == (long long)st.st_ctim.tv_nsec && stv[3] == (long long)st.st_size;
		if (i != NONE && i < n0)
			seen[i] = 1;
		if (same)
			;
		else if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			read_record(s, out, de->d_name, plain, &st);
		else if (i != NONE)
			put_removed(out, plain); /* gone since the readdir */
		if (name != plain)
			free(name);
	}
	closedir(d);
	for (size_t i = 0; i < n0; i++)
		if (x->e[i].live && !seen[i]) {
			size_t nn;
			const char *nm = ent_name(&x->e[i], &nn);
			char *enc = strndup(nm, nn), *name = sidx_decode(enc);
			put_removed(out, name);
			free(enc);
			free(name);
		}
	free(seen);
	apply_buf(x, out, 0);
	return 0;
}

/* append lines to the file (no fsync: it is a cache, checked on use); 0 or -errno */
static int append_text(struct state *s, const char *p, size_t n)
{
	char *path = index_path(s);
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	int e = write_full(fd, p, n) < 0 ? -errno : 0;
	close(fd);
	return e;
}

/* an entry's "+" line as a head and a view (split_entry); 0, or -1 when it does not read */
static int split_entry(struct buf *heads, struct buf *views, const char *line, size_t len)
{
	const char *cur = line, *end = line + len - 10;
	struct tok t[7]; /* op, name, ino, ctime s, ns, size, state */
	for (int k = 0; k < 7; k++)
		if (!next_tok(&cur, end, &t[k]))
			return -1;
	const char *led = cur, *view = end; /* NLED KIND ID ... before the last token */
	while (view > led && view[-1] != ' ')
		view--;
	if (view <= led || *view != ':')
		return -1;
	size_t h0 = heads->n, v0 = views->n;
	put(heads, "h ", 2);
	put(heads, t[1].p, t[1].n);
	put(heads, " ", 1);
	put(heads, t[2].p, t[2].n);
	put(heads, " ", 1);
	put(heads, led, (size_t)(view - 1 - led));
	put_check(heads, h0);
	put(views, "v ", 2);
	put(views, t[1].p, t[1].n);
	for (int k = 3; k < 7; k++) {
		put(views, " ", 1);
		put(views, t[k].p, t[k].n);
	}
	put(views, " ", 1);
	put(views, view, (size_t)(end - view));
	put_check(views, v0);
	return 0;
}

/* write the whole index (temp file + rename): the heads, then the views; 0 or -errno */
static int write_whole(struct state *s, struct state_index *x)
{
	join_views(x);
	struct buf heads = { 0 }, views = { 0 }, at = { 0 };
	size_t lines = 2;
	put(&heads, "", 0);
	put(&views, "", 0);
	for (size_t i = 0; i < x->n; i++) {
		if (!x->e[i].live)
			continue;
		lines++;
		/* a "!" line, a head whose view is lost: as they are */
		if (x->e[i].line[0] != '+' || split_entry(&heads, &views, x->e[i].line, x->e[i].len) < 0)
			put(&heads, x->e[i].line, x->e[i].len);
	}
	put(&at, "@", 1);
	put_num(&at, (long long)heads.n);
	put_num(&at, (long long)views.n);
	put_check(&at, 0);
	char *p = index_path(s), *tmp = xasprintf("%s/.index.tmp", s->vms);
	unlink(tmp); /* exclusive: never written through a link or another name's inode */
	int e = 0, fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		e = -errno;
	struct iovec iov[4] = { { (void *)SIDX_MAGIC, strlen(SIDX_MAGIC) },
				{ at.p, at.n },
				{ heads.p, heads.n },
				{ views.p, views.n } };
	size_t total = iov[0].iov_len + at.n + heads.n + views.n;
	ssize_t w = e ? 0 : writev(fd, iov, 4);
	if (!e && (w < 0 || (size_t)w != total)) /* a short write to a regular file: full disk */
		e = w < 0 ? -errno : -ENOSPC;
	if (fd >= 0 && close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, p) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	else
		x->lines = lines;
	free(heads.p);
	free(views.p);
	free(at.p);
	free(p);
	free(tmp);
	return e;
}

static void note_seen(struct state *s, struct state_index *x)
{
	struct stat st;
	char *p = index_path(s);
	memset(&x->file, 0, sizeof(x->file));
	if (lstat(p, &st) == 0) {
		take_stamp(&x->file, &st);
		x->file.size = (long long)st.st_size;
	}
	free(p);
	if (dir_stamp(s, &x->dir) < 0)
		memset(&x->dir, 0, sizeof(x->dir));
}

static int seen_unchanged(struct state *s, struct state_index *x)
{
	struct state_index now = { 0 };
	note_seen(s, &now);
	return now.file.ino && memcmp(&now.file, &x->file, sizeof(now.file)) == 0 &&
	       memcmp(&now.dir, &x->dir, sizeof(now.dir)) == 0;
}

static int load(struct state *s, struct state_index *x, int all)
{
	struct stamp now, last;
	int has_last, e;
	if ((e = dir_stamp(s, &now)) < 0) {
		index_clear(x);
		return e;
	}
	/* the file as others left it (it saves parsing the records they wrote) */
	int valid = read_file(s, x, &last, &has_last);
	int fresh = has_last && memcmp(&last, &now, sizeof(now)) == 0;
	struct buf out = { 0 };
	if (!fresh || all) {
		/* vms/ changed behind the index: each record's stamp is compared, not only its
		 * inode number (ext4 hands a freed one out again: a record renamed over twice
		 * can be back on the inode its stale entry names) */
		if ((e = check_dir(s, x, 1, &out)) < 0) {
			free(out.p);
			index_clear(x);
			return e;
		}
	}
	/* a failed write only costs the next process a check */
	/* compaction: by the commands that read everything anyway, while the file stays near
	 * its size (a create maps it all); by any command (one create in about live / 2 changes)
	 * when it holds twice the lines it needs */
	size_t live = 0;
	for (size_t i = 0; i < x->n; i++)
		live += x->e[i].live;
	if (!valid || (all && x->lines > live + live / 4 + 64) || x->lines > 2 * live + 256) {
		/* the rename of the new file changes vms/: a stamp taken after it would also
		 * cover a record renamed over during the check above; so vms/ is read once
		 * more, its stamp taken before (a readdir) */
		if (write_whole(s, x) == 0 && dir_stamp(s, &now) == 0) {
			out.n = 0;
			if (check_dir(s, x, 1, &out) == 0) {
				put_stamp(&out, &now);
				append_text(s, out.p, out.n);
			}
		}
	} else if (!fresh || out.n) {
		/* the stamp taken before the check: a change made during it shows next time */
		put_stamp(&out, &now);
		append_text(s, out.p, out.n);
	}
	free(out.p);
	x->loaded = 1;
	note_seen(s, x);
	return 0;
}

static int get(struct state *s, struct state_index **out, int all)
{
	struct state_index *x = s->idx;
	if (!x)
		x = s->idx = xcalloc(1, sizeof(*x));
	if (all || !x->loaded || !seen_unchanged(s, x)) {
		int e = load(s, x, all);
		if (e < 0)
			return e;
	}
	*out = x;
	return 0;
}

int sidx_get(struct state *s, struct state_index **out)
{
	return get(s, out, 0);
}

int sidx_verify(struct state *s, struct state_index **out)
{
	return get(s, out, 1);
}

size_t sidx_count(struct state_index *x)
{
	return x->n;
}

/* the entry of a line, parsed into its own buffer (tokens NUL-terminated) */
static struct sidx_entry *parse_full(const char *line, size_t len)
{
	struct sidx_entry *f = xcalloc(1, sizeof(*f));
	f->own = xmalloc(len + 1);
	memcpy(f->own, line, len);
	f->own[len] = 0;
	char *buf = f->own;
	const char *cur = buf, *end = buf + len - 10;
	struct tok t, nm;
	long long st[4], nled = 0;
	if (line_head(buf, len, &nm, st, &cur, &end) < 0)
		goto bad;
	((char *)nm.p)[nm.n] = 0;
	f->name = nm.p;
	f->corrupt = buf[0] == '!';
	if (!f->corrupt) {
		if (!next_tok(&cur, end, &t) || t.p[0] != ':')
			goto bad;
		((char *)t.p)[t.n] = 0;
		f->state = t.p + 1;
		if (!next_tok(&cur, end, &t) || tok_num(t, &nled) || nled < 0 || nled > 100000)
			goto bad;
		f->led = xcalloc((size_t)nled + 1, sizeof(*f->led));
		for (; f->nled < (size_t)nled; f->nled++) {
			struct tok k, v;
			if (!next_tok(&cur, end, &k) || !next_tok(&cur, end, &v) || k.p[0] != ':' ||
			    v.p[0] != ':')
				goto bad;
			((char *)k.p)[k.n] = 0;
			((char *)v.p)[v.n] = 0;
			f->led[f->nled].kind = k.p + 1;
			f->led[f->nled].id = v.p + 1;
		}
		if (!next_tok(&cur, end, &t) || t.n < 2 || t.p[0] != ':' || t.p[1] != '{')
			goto bad;
		((char *)t.p)[t.n] = 0;
		f->view = t.p + 1;
	}
	if (cur <= end)
		goto bad;
	return f;
bad:
	/* a line that passed its check but does not parse: listed as corrupt, never trusted */
	if (!f->name)
		f->name = "?";
	f->corrupt = 1;
	return f;
}

struct sidx_entry *sidx_at(struct state_index *x, size_t i)
{
	if (i >= x->n || !x->e[i].live)
		return NULL;
	if (x->e[i].head)
		join_views(x);
	if (!x->full)
		x->full = xcalloc(x->cap, sizeof(*x->full));
	if (!x->full[i] && x->e[i].head) { /* no view: what the head says, the rest unknown */
		char *plus = join_line(x->e[i].line, x->e[i].len, NULL, 0);
		x->full[i] = parse_full(plus ? plus : x->e[i].line, plus ? strlen(plus) : x->e[i].len);
		free(plus);
	} else if (!x->full[i]) {
		x->full[i] = parse_full(x->e[i].line, x->e[i].len);
	}
	return x->full[i];
}

int sidx_corrupt_at(struct state_index *x, size_t i)
{
	return i < x->n && x->e[i].live &&
	       (x->e[i].corrupt || (x->full && x->full[i] && x->full[i]->corrupt));
}

size_t sidx_find(struct state_index *x, const char *name)
{
	char *k = sidx_encode(name);
	size_t i = lookup(x, k, strlen(k));
	free(k);
	return i;
}

size_t sidx_leases(struct state_index *x, const char *kind, const char *self, const uint64_t **vals)
{
	char *plain = xasprintf("lease:%s", kind), *k = sidx_encode(plain);
	free(plain);
	if (!x->cached) { /* one pass over the lines for every kind */
		caches_clear(x);
		x->cached = 1;
		for (size_t j = 0; j < x->n && x->cached; j++)
			caches_entry(x, j, 0);
	}
	size_t i, me = self ? sidx_find(x, self) : NONE;
	for (i = 0; x->cached && i < NCACHE && x->cache[i].kind; i++)
		if (strcmp(x->cache[i].kind, k) == 0)
			break;
	struct lease_cache none = { 0 }, *c = &none;
	if (x->cached && i < NCACHE && x->cache[i].kind) {
		c = &x->cache[i];
	} else if (!x->cached) { /* too many kinds: this one alone, read again */
		c = &x->scratch;
		c->n = 0;
		struct cache_op op = { x, 0, k, c };
		for (size_t j = 0; j < x->n; j++)
			if (x->e[j].live && !x->e[j].corrupt)
				line_ledger(x->e[j].line, x->e[j].len, cache_pair, &op);
	}
	/* self's own values go past the count (one occurrence each: another entry holding
	 * the same value still counts) */
	size_t m = c->n;
	if (me != NONE && c->n && !x->e[me].corrupt) {
		struct cache_op op = { x, 0, k, &(struct lease_cache){ 0 } };
		line_ledger(x->e[me].line, x->e[me].len, cache_pair, &op);
		for (size_t j = 0; j < op.c->n; j++)
			cache_out(c->vals, &m, op.c->vals[j]);
		free(op.c->vals);
	}
	free(k);
	*vals = c->vals;
	return m;
}

struct owned_q {
	const char *kind, *id;
	int found;
};

static int owned_pair(void *arg, struct tok kind, struct tok id)
{
	struct owned_q *q = arg;
	q->found = kind.n == strlen(q->kind) && memcmp(kind.p, q->kind, kind.n) == 0 &&
		   id.n == strlen(q->id) && memcmp(id.p, q->id, id.n) == 0;
	return q->found;
}

int sidx_owned(struct state_index *x, const char *kind, const char *id, const char *self)
{
	struct owned_q q = { sidx_encode(kind), sidx_encode(id), 0 };
	size_t skip = self ? sidx_find(x, self) : SIZE_MAX; /* self's ledger is in its memory */
	for (size_t i = 0; i < x->n && !q.found; i++) {
		if (!x->e[i].live || i == skip)
			continue;
		/* a corrupt record might own it; so might a line that does not read */
		if (sidx_corrupt_at(x, i) || line_ledger(x->e[i].line, x->e[i].len, owned_pair, &q) < 0)
			q.found = 1;
	}
	free((char *)q.kind);
	free((char *)q.id);
	return q.found;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((*(struct sidx_entry *const *)a)->name, (*(struct sidx_entry *const *)b)->name);
}

struct sidx_entry **sidx_sorted(struct state_index *x, size_t *n)
{
	struct sidx_entry **v = xcalloc(x->n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].live)
			v[k++] = sidx_at(x, i);
	qsort(v, k, sizeof(*v), cmp_entry);
	*n = k;
	return v;
}

/* ---- changes by this process */

/* the stamp on the last line of the file, read from its end: 0, or -1 when there is none */
static int tail_stamp(struct state *s, struct stamp *d)
{
	char *p = index_path(s);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return -1;
	struct stat st;
	char tail[160];
	int r = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		size_t want = st.st_size < (off_t)sizeof(tail) ? (size_t)st.st_size : sizeof(tail);
		ssize_t got = pread(fd, tail, want, st.st_size - (off_t)want);
		char *start =
			got == (ssize_t)want && tail[want - 1] == '\n' ? memrchr(tail, '\n', want - 1) : NULL;
		if (start) {
			start++;
			size_t n = (size_t)(tail + want - start);
			r = line_ok(start, n) ? parse_stamp(start, n, d) : -1;
		}
	}
	close(fd);
	return r;
}

void sidx_change_begin(struct state *s)
{
	struct state_index *x = s->idx;
	if (!x)
		x = s->idx = xcalloc(1, sizeof(*x));
	if (x->depth++ > 0)
		return;
	if (state_lock(s) < 0) {
		s->idx_unlocked = 1;
		return;
	}
	/* the file described vms/ before this change: it will after it, with this change */
	struct stamp last, now;
	x->current =
		tail_stamp(s, &last) == 0 && dir_stamp(s, &now) == 0 && memcmp(&last, &now, sizeof(now)) == 0;
	if (x->loaded && !seen_unchanged(s, x))
		x->loaded = 0; /* the next use reads it again */
}

/* the lines BUF (N bytes of it: the rest may be a stamp) appended; x follows them */
static void write_lines(struct state *s, struct buf *b, size_t n)
{
	struct state_index *x = s->idx;
	if (append_text(s, b->p, b->n) < 0) {
		/* no index yet: the next use builds it from the records */
		x->loaded = 0;
		return;
	}
	if (x->loaded) {
		struct buf one = { b->p, n, n };
		apply_buf(x, &one, 1);
		note_seen(s, x);
	}
}

void sidx_change_end(struct state *s)
{
	struct state_index *x = s->idx;
	if (!x || x->depth == 0 || --x->depth > 0)
		return;
	if (x->pending.n) { /* one append for a group (state_group.c) or a create */
		size_t n = x->pending.n;
		struct stamp d;
		if (!s->idx_unlocked && x->current && dir_stamp(s, &d) == 0)
			put_stamp(&x->pending, &d);
		if (!s->idx_unlocked)
			write_lines(s, &x->pending, n);
		x->pending.n = 0;
	}
	if (s->idx_unlocked)
		s->idx_unlocked = 0;
	else
		state_unlock(s);
}

/* append one line, and the stamp of vms/ after it when the file was current; inside an
 * outer change, its end appends the lines of all (the lock is held until then) */
static void append(struct state *s, struct buf *b)
{
	struct state_index *x = s->idx;
	if (x->depth > 1) {
		put(&x->pending, b->p, b->n);
		return;
	}
	size_t n = b->n;
	struct stamp d;
	if (x->current && dir_stamp(s, &d) == 0)
		put_stamp(b, &d);
	write_lines(s, b, n);
}

void sidx_record_saved(struct vm_record *r, int err)
{
	struct state *s = r->st;
	struct stat st;
	if (!s->idx_unlocked && err == 0 && lstat(r->path, &st) == 0) {
		struct buf b = { 0 };
		put_record(&b, r->name, &st, r->root);
		append(s, &b);
		free(b.p);
	} else {
		s->idx->loaded = 0;
	}
	sidx_change_end(s);
}

void sidx_record_deleted(struct vm_record *r, int err)
{
	struct state *s = r->st;
	if (!s->idx_unlocked && err == 0) {
		struct buf b = { 0 };
		put_removed(&b, r->name);
		append(s, &b);
		free(b.p);
	} else {
		s->idx->loaded = 0;
	}
	sidx_change_end(s);
}

void sidx_free(struct state *s)
{
	if (!s->idx)
		return;
	index_clear(s->idx);
	free(s->idx->pending.p);
	free(s->idx);
	s->idx = NULL;
}
