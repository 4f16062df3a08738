/* The index of the VM records: see state_index.h for what it holds and why it can be
 * trusted.  The file, state_dir/vms/.index, is lines of space-separated tokens:
 *   lia-index 1                                              (first line)
 *   + NAME INO CTIME_S CTIME_NS SIZE STATE NLED KIND ID ... VIEW CHECK   (an entry)
 *   ! NAME INO CTIME_S CTIME_NS SIZE CHECK                   (a record that does not parse)
 *   - NAME CHECK                                             (a record removed)
 * A later line for a name replaces the earlier one.  Text tokens start with ':' and have
 * bytes <= ' ', '%' and DEL as %XX.  CHECK is a hash (line_hash, 8 hex digits) of the line
 * before it: a line torn by a crash, and everything after it, is ignored (the stamps then
 * send the records it was about to describe to be read again).  The file is rewritten whole (temp file + rename) when
 * a check found changes or when appended lines outnumber twice the entries.  Each entry
 * keeps its line as read, so rewriting is a copy and reading allocates little. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state.h"
#include "safe_io.h"
#include "state_index.h"
#include "util.h"

#define SIDX_MAGIC "lia-index 1\n"

const char *const sidx_view_keys[] = { "net.ip", "net.tap", "vsock.cid", "ready", NULL };

struct stamp {
	unsigned long long ino;
	long long s, ns, size;
};

struct state_index {
	struct sidx_entry *e;
	size_t n, cap;
	size_t *slot; /* open addressing: entry index + 1, 0 empty */
	char *arena;  /* the file as read: the lines of the entries read from it */
	size_t nslot;
	size_t lines; /* lines in the file: when they outnumber the entries it is rewritten */
	int loaded;   /* the entries were checked against the records in this process */
	unsigned gen; /* changes with any entry: the lease caches below are of one gen */
	struct lease_cache {
		char *kind; /* encoded "lease:KIND" */
		unsigned gen;
		uint64_t *vals;
		size_t *owner; /* the entry holding each value */
		size_t n;
	} cache[8];
	int current;            /* set by sidx_change_begin: the index was current before the change */
	struct stamp file, dir; /* the index file and vms/ as this process last saw them */
};

/* ---- entries */

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

static ssize_t read_full(int fd, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static uint32_t fnv(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static void entry_clear(struct sidx_entry *e)
{
	free(e->led);
	free(e->own);
	memset(e, 0, sizeof(*e));
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

static void rehash_for(struct state_index *x, size_t want)
{
	free(x->slot);
	x->nslot = 64;
	while (x->nslot < want * 2 + 16)
		x->nslot *= 2;
	x->slot = xcalloc(x->nslot, sizeof(size_t));
	for (size_t i = 0; i < x->n; i++) {
		if (!x->e[i].live)
			continue;
		size_t h = fnv(x->e[i].name, strlen(x->e[i].name)) & (x->nslot - 1);
		while (x->slot[h])
			h = (h + 1) & (x->nslot - 1);
		x->slot[h] = i + 1;
	}
}

static void rehash(struct state_index *x)
{
	rehash_for(x, x->n);
}

/* the entry of a name, or NULL; with add, a new empty one */
static struct sidx_entry *lookup(struct state_index *x, const char *name, int add)
{
	if (!x->slot)
		rehash(x);
	size_t h = fnv(name, strlen(name)) & (x->nslot - 1);
	for (; x->slot[h]; h = (h + 1) & (x->nslot - 1)) {
		struct sidx_entry *e = &x->e[x->slot[h] - 1];
		if (e->live && strcmp(e->name, name) == 0)
			return e;
	}
	if (!add)
		return NULL;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->e = realloc(x->e, x->cap * sizeof(*x->e));
		if (!x->e)
			abort();
	}
	struct sidx_entry *e = &x->e[x->n++];
	memset(e, 0, sizeof(*e));
	e->name = name; /* the caller's until it fills the entry */
	e->live = 1;
	if (x->n * 2 + 16 > x->nslot)
		rehash(x);
	else
		x->slot[h] = x->n;
	return e;
}

/* remove an entry: its slot stays taken (lookups probe past dead entries) until the
 * next rehash, so a file of many removals costs no rehash each */
static void drop(struct state_index *x, struct sidx_entry *e)
{
	x->gen++;
	entry_clear(e);
}

static void index_clear(struct state_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		entry_clear(&x->e[i]);
	for (size_t i = 0; i < sizeof(x->cache) / sizeof(x->cache[0]); i++) {
		free(x->cache[i].kind);
		free(x->cache[i].vals);
		free(x->cache[i].owner);
	}
	free(x->e);
	free(x->slot);
	free(x->arena);
	memset(x, 0, sizeof(*x));
}

static int stamp_is(const struct sidx_entry *e, const struct stat *st)
{
	return e->ino == (unsigned long long)st->st_ino && e->ctime_s == (long long)st->st_ctim.tv_sec &&
	       e->ctime_ns == (long long)st->st_ctim.tv_nsec && e->size == (long long)st->st_size;
}

static void take_stamp(struct stamp *s, const struct stat *st)
{
	s->ino = (unsigned long long)st->st_ino;
	s->s = (long long)st->st_mtim.tv_sec;
	s->ns = (long long)st->st_mtim.tv_nsec;
	s->size = (long long)st->st_size;
}

/* ---- the file's lines */

struct buf {
	char *p;
	size_t n, cap;
};

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

/* the next token of a line, NUL-terminated in place (text tokens: without their ':',
 * still encoded); NULL at the end */
static char *token(char **cur, char *end, int text)
{
	char *p = *cur;
	if (p >= end)
		return NULL;
	char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		sp = end;
	*sp = 0;
	*cur = sp + 1;
	if (!text)
		return p;
	return *p == ':' ? p + 1 : NULL;
}

static int num(char **cur, char *end, long long *out)
{
	char *t = token(cur, end, 0);
	if (!t || !*t)
		return -1;
	int neg = *t == '-';
	unsigned long long v = 0;
	for (t += neg; *t; t++) {
		if (*t < '0' || *t > '9' || v > 922337203685477580ull)
			return -1;
		v = v * 10 + (unsigned)(*t - '0');
	}
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

/* Parse one line (LEN bytes, its newline included, checksum verified) in place into x: an
 * entry replaced or removed.  OWN: the line's buffer, to free with the entry (NULL: the
 * caller keeps it alive).  0, or -1 when it is not a line of the index. */
static int apply_line(struct state_index *x, char *line, size_t len, char *own)
{
	struct sidx_entry n = { 0 };
	n.own = own;
	n.line = line;
	n.len = len;
	char *end = line + len - 10, *cur = line; /* without " CHECK\n" */
	char *op = token(&cur, end, 0), *name;
	if (!op || !(name = token(&cur, end, 1)) || !*name || strchr(name, '/'))
		goto bad;
	if (strcmp(op, "-") == 0) {
		struct sidx_entry *e = lookup(x, name, 0);
		if (cur <= end)
			goto bad;
		if (e)
			drop(x, e);
		free(own);
		return 0;
	}
	if (strcmp(op, "+") != 0 && strcmp(op, "!") != 0)
		goto bad;
	long long ino, nled = 0;
	if (num(&cur, end, &ino) || num(&cur, end, &n.ctime_s) || num(&cur, end, &n.ctime_ns) ||
	    num(&cur, end, &n.size))
		goto bad;
	n.ino = (unsigned long long)ino;
	n.corrupt = op[0] == '!';
	if (!n.corrupt) {
		char *st = token(&cur, end, 1), *k, *v;
		if (!st || num(&cur, end, &nled) || nled < 0 || nled > 100000)
			goto bad;
		n.state = st;
		n.led = xcalloc((size_t)nled + 1, sizeof(*n.led));
		for (; n.nled < (size_t)nled; n.nled++) {
			if (!(k = token(&cur, end, 1)) || !(v = token(&cur, end, 1)))
				goto bad;
			n.led[n.nled].kind = k;
			n.led[n.nled].id = v;
		}
		char *view = token(&cur, end, 1);
		if (!view || *view != '{')
			goto bad;
		n.view = view;
	}
	if (cur <= end)
		goto bad;
	n.name = name;
	n.live = 1;
	struct sidx_entry *e = lookup(x, name, 1);
	entry_clear(e);
	*e = n;
	x->gen++;
	return 0;
bad:
	entry_clear(&n);
	return -1;
}

/* the lines in TEXT (LEN bytes, kept alive by the caller) applied in order, up to the
 * first torn or damaged one: what follows it is not trusted either.  The count applied. */
static size_t apply_text(struct state_index *x, char *text, size_t len)
{
	size_t count = 0;
	char *line = text, *end = text + len, *nl;
	while (line < end && (nl = memchr(line, '\n', (size_t)(end - line)))) {
		size_t n = (size_t)(nl - line) + 1;
		if (n < 12 || line[n - 10] != ' ')
			break;
		uint32_t chk = 0;
		for (int k = 0; k < 8; k++) {
			char c = line[n - 9 + k];
			chk = chk << 4 | (uint32_t)(c >= 'a' ? c - 'a' + 10 : c - '0');
		}
		if (chk != line_hash(line, n - 10) || apply_line(x, line, n, NULL) < 0)
			break;
		count++;
		line = nl + 1;
	}
	return count;
}

/* a line's bytes as in the file (apply_line put NULs between its tokens) */
static void put_line(struct buf *b, const struct sidx_entry *e)
{
	size_t start = b->n;
	put(b, e->line, e->len);
	for (size_t i = start; i < b->n; i++)
		if (!b->p[i])
			b->p[i] = ' ';
}

static char *index_path(struct state *s)
{
	return xasprintf("%s/.index", s->vms);
}

/* read the file into x (emptied first); a missing or unreadable file gives no entry */
static void read_file(struct state *s, struct state_index *x)
{
	index_clear(x);
	char *p = index_path(s);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(p);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 28)) {
		close(fd);
		return;
	}
	char *text = xmalloc((size_t)st.st_size + 1);
	ssize_t got = read_full(fd, text, (size_t)st.st_size);
	close(fd);
	size_t m = strlen(SIDX_MAGIC), lines = 0;
	for (char *p = text; (p = memchr(p, '\n', (size_t)(text + got - p))); p++)
		lines++;
	rehash_for(x, lines); /* one table for them all */
	if (got >= (ssize_t)m && memcmp(text, SIDX_MAGIC, m) == 0)
		x->lines = 1 + apply_text(x, text + m, (size_t)got - m);
	x->arena = text; /* the entries' lines */
}

static int stat_at(struct state *s, const char *name, struct stat *st)
{
	char *p = name ? xasprintf("%s/%s", s->vms, name) : xstrdup(s->vms);
	int r = lstat(p, st);
	free(p);
	return r;
}

static void note_seen(struct state *s, struct state_index *x)
{
	struct stat st;
	memset(&x->file, 0, sizeof(x->file));
	memset(&x->dir, 0, sizeof(x->dir));
	if (stat_at(s, ".index", &st) == 0)
		take_stamp(&x->file, &st);
	if (stat_at(s, NULL, &st) == 0)
		take_stamp(&x->dir, &st);
}

static int seen_unchanged(struct state *s, struct state_index *x)
{
	struct stat st;
	struct stamp f = { 0 }, d = { 0 };
	if (stat_at(s, ".index", &st) == 0)
		take_stamp(&f, &st);
	if (stat_at(s, NULL, &st) == 0)
		take_stamp(&d, &st);
	return memcmp(&f, &x->file, sizeof(f)) == 0 && memcmp(&d, &x->dir, sizeof(d)) == 0 && f.ino;
}

/* write the whole index (temp file + rename; no fsync: it is a cache, checked on use) */
static int write_whole(struct state *s, struct state_index *x)
{
	struct buf b = { 0 };
	put(&b, SIDX_MAGIC, strlen(SIDX_MAGIC));
	size_t lines = 1;
	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].live) {
			put_line(&b, &x->e[i]);
			lines++;
		}
	char *p = index_path(s), *tmp = xasprintf("%s/.index.tmp", s->vms);
	unlink(tmp); /* exclusive: never written through a link or another name's inode */
	int e = 0, fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, b.p, b.n) < 0)
		e = -errno;
	if (fd >= 0 && close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, p) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	else
		x->lines = lines;
	free(b.p);
	free(p);
	free(tmp);
	return e;
}

/* read the record FILE (NAME.json, its stat taken) into its entry */
static void read_record(struct state *s, struct state_index *x, const char *file, const struct stat *st)
{
	char name[256];
	size_t len = strlen(file) - 5;
	if (len >= sizeof(name))
		return;
	memcpy(name, file, len);
	name[len] = 0;
	char *p = xasprintf("%s/%s", s->vms, file);
	json_error_t je;
	int err = 0;
	json_t *j = safe_load_json(p, &je, &err); /* a link or FIFO is corrupt, never followed */
	int gone = !j && err == -ENOENT;
	free(p);
	struct buf b = { 0 };
	if (gone)
		put_removed(&b, name);
	else
		put_record(&b, name, st, json_is_object(j) ? j : NULL);
	if (apply_line(x, b.p, b.n, b.p) < 0)
		msg_warn("the index of %s refused its own line for %s", s->vms, name);
	json_decref(j);
}

/* check every entry against its record (see state_index.h): 0 or a negative errno */
static int check_all(struct state *s, struct state_index *x)
{
	DIR *d = opendir(s->vms);
	if (!d)
		return -errno;
	int dfd = dirfd(d), changed = 0;
	unsigned char *seen = xcalloc(x->n + 1, 1);
	size_t n0 = x->n;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		/* the same names record_names lists */
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		char plain[256];
		if (len - 5 >= sizeof(plain))
			continue;
		memcpy(plain, de->d_name, len - 5);
		plain[len - 5] = 0;
		char *name = vm_name_valid(plain) ? plain : sidx_encode(plain);
		struct sidx_entry *e = lookup(x, name, 0);
		if (e && stamp_is(e, &st)) {
			seen[e - x->e] = 1;
		} else {
			read_record(s, x, de->d_name, &st);
			changed = 1;
			e = lookup(x, name, 0);
			if (e && (size_t)(e - x->e) < n0)
				seen[e - x->e] = 1;
		}
		if (name != plain)
			free(name);
	}
	closedir(d);
	for (size_t i = 0; i < n0; i++)
		if (x->e[i].live && !seen[i]) {
			entry_clear(&x->e[i]);
			changed = 1;
		}
	free(seen);
	if (changed) {
		/* compact: drop the removed entries */
		size_t k = 0;
		for (size_t i = 0; i < x->n; i++)
			if (x->e[i].live)
				x->e[k++] = x->e[i];
		x->n = k;
		x->gen++;
		rehash(x);
	}
	if (changed || x->lines > 2 * x->n + 64)
		write_whole(s, x); /* a failed write only costs the next process a re-check */
	return 0;
}

int sidx_get(struct state *s, struct state_index **out)
{
	struct state_index *x = s->idx;
	if (!x)
		x = s->idx = xcalloc(1, sizeof(*x));
	if (x->loaded && seen_unchanged(s, x)) {
		*out = x;
		return 0;
	}
	/* the file as others left it (it saves parsing the records they wrote) */
	read_file(s, x);
	int e = check_all(s, x);
	if (e < 0) {
		index_clear(x);
		return e;
	}
	x->loaded = 1;
	note_seen(s, x);
	*out = x;
	return 0;
}

size_t sidx_count(struct state_index *x)
{
	return x->n;
}

struct sidx_entry *sidx_at(struct state_index *x, size_t i)
{
	return i < x->n && x->e[i].live ? &x->e[i] : NULL;
}

/* a lease value as the ledger holds it: decimal digits */
static uint64_t lease_value(const char *p)
{
	uint64_t v = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

size_t sidx_leases(struct state_index *x, const char *kind, const uint64_t **vals, const size_t **owner)
{
	char *plain = xasprintf("lease:%s", kind), *k = sidx_encode(plain);
	free(plain);
	size_t nc = sizeof(x->cache) / sizeof(x->cache[0]), i;
	struct lease_cache *c = NULL;
	for (i = 0; i < nc && x->cache[i].kind; i++)
		if (strcmp(x->cache[i].kind, k) == 0)
			break;
	if (i == nc) /* full: reuse the first */
		i = 0;
	c = &x->cache[i];
	if (c->kind && strcmp(c->kind, k) == 0 && c->gen == x->gen) {
		free(k);
	} else {
		free(c->kind);
		c->kind = k;
		c->gen = x->gen;
		c->n = 0;
		size_t cap = 64;
		c->vals = realloc(c->vals, cap * sizeof(*c->vals));
		c->owner = realloc(c->owner, cap * sizeof(*c->owner));
		for (size_t e = 0; e < x->n; e++) {
			if (!x->e[e].live)
				continue;
			for (size_t j = 0; j < x->e[e].nled; j++) {
				if (strcmp(x->e[e].led[j].kind, k) != 0)
					continue;
				if (c->n == cap) {
					cap *= 2;
					c->vals = realloc(c->vals, cap * sizeof(*c->vals));
					c->owner = realloc(c->owner, cap * sizeof(*c->owner));
				}
				if (!c->vals || !c->owner)
					abort();
				c->vals[c->n] = lease_value(x->e[e].led[j].id);
				c->owner[c->n++] = e;
			}
		}
	}
	*vals = c->vals;
	*owner = c->owner;
	return c->n;
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
			v[k++] = &x->e[i];
	qsort(v, k, sizeof(*v), cmp_entry);
	*n = k;
	return v;
}

/* ---- changes by this process */

void sidx_change_begin(struct state *s)
{
	if (state_lock(s) < 0) {
		s->idx_unlocked = 1;
		return;
	}
	struct state_index *x = s->idx;
	if (x)
		x->current = x->loaded && seen_unchanged(s, x);
}

/* append one line; the in-memory index follows when it was current before the change */
static void append(struct state *s, struct buf *b)
{
	struct state_index *x = s->idx;
	char *p = index_path(s);
	int fd = open(p, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	free(p);
	/* no index yet: the next use builds it from the records */
	int ok = fd >= 0 && write_full(fd, b->p, b->n) == 0;
	if (fd >= 0)
		close(fd);
	if (!x)
		return;
	if (!ok || !x->current) {
		x->loaded = 0; /* the next use checks every record */
		return;
	}
	char *own = xmalloc(b->n + 1);
	memcpy(own, b->p, b->n + 1);
	if (apply_line(x, own, b->n, own) < 0) {
		x->loaded = 0;
		return;
	}
	x->lines++;
	if (x->lines > 2 * x->n + 64)
		write_whole(s, x);
	note_seen(s, x);
}

static void change_end(struct state *s)
{
	if (s->idx_unlocked)
		s->idx_unlocked = 0;
	else
		state_unlock(s);
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
	} else if (s->idx) {
		s->idx->loaded = 0;
	}
	change_end(s);
}

void sidx_record_deleted(struct vm_record *r, int err)
{
	struct state *s = r->st;
	if (!s->idx_unlocked && err == 0) {
		struct buf b = { 0 };
		put_removed(&b, r->name);
		append(s, &b);
		free(b.p);
	} else if (s->idx) {
		s->idx->loaded = 0;
	}
	change_end(s);
}

void sidx_free(struct state *s)
{
	if (!s->idx)
		return;
	index_clear(s->idx);
	free(s->idx);
	s->idx = NULL;
}
