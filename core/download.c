/* Verified downloads: the host->download service.
 *
 * Streams URL into DEST.part while hashing it (OpenSSL EVP SHA-256), resumes a kept
 * .part with a Range request, retries transient failures with backoff, verifies the
 * checksum and size, then fsyncs, chmods and renames into place.  DEST is never
 * touched unless the new file is complete and verified.
 *
 * Written only against the public host services (ctx->host->...) so the unit test can
 * run it with a fake host.  Globals read from the `lia` block (all optional):
 *   mirror              URL or folder replacing scheme+host of http(s) sources
 *   download_stall_s    abort a transfer that moved no byte for this long (30)
 *   download_timeout    whole-transfer limit in seconds, 0 = none (0)
 *   download_retries    extra attempts after a transient failure (3)
 *   download_backoff_ms first pause before a retry, doubled each time (1000)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto_dl.h"

#include "curl_dl.h"
#include "download.h"
#include "hashq.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define HASH_BUF (256 * 1024)
#define FLUSH_EVERY (8u << 20)
#define STAGE_SIZE (1u << 20)

static int download_open_curl(char *why, size_t len);

struct dl {
	struct lia_ctx *ctx;
	const struct lia_host *h;
	CURL *curl;
	const char *url;  /* after the mirror rewrite */
	int mirrored;     /* url is the mirror's, not the source's */
	const char *what; /* basename of dest, for progress */
	char *part;
	int fd;
	int is_file; /* file:// source: never resumed */
	EVP_MD_CTX *md;
	struct hashq *hq;     /* hashes on a second thread while curl receives */
	unsigned char *stage; /* received bytes not yet written (STAGE_SIZE) */
	size_t staged;
	uint64_t offset;  /* bytes of .part hashed before this transfer */
	uint64_t written; /* bytes written by this transfer */
	uint64_t flushed; /* of those, handed to writeback */
	int started;      /* first body byte of this transfer seen */
	int ranges;       /* the server said it can resume (Accept-Ranges: bytes or a 206) */
	int64_t cr_total; /* total from Content-Range of the last response, -1 unknown */
	int werrno;       /* a failed write(2) */
	int64_t expect;   /* expected size or -1 */
	int64_t last_progress_ms, last_move_ms, stall_ms;
	uint64_t last_done;
	curl_off_t last_now;
	int stalled;
	char errbuf[CURL_ERROR_SIZE];
};

static const char *gstr(struct lia_ctx *ctx, const char *key)
{
	const char *v = ctx->host->global ? ctx->host->global(ctx, key) : NULL;
	return v && *v ? v : NULL;
}

static long gint(struct lia_ctx *ctx, const char *key, long dflt)
{
	const char *v = gstr(ctx, key);
	char *end;
	long n;

	if (!v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0) {
		ctx->host->log(ctx, LIA_LOG_WARN, "ignoring the setting %s = \"%s\": not a whole number >= 0",
			       key, v);
		return dflt;
	}
	return n;
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = 0;
}

/* Copy the expected sum lowercased; 0 when it is 64 hex digits. */
static int norm_sha(const char *in, char out[65])
{
	size_t i;
	for (i = 0; in[i]; i++) {
		if (i >= 64 || !isxdigit((unsigned char)in[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[i] = 0;
	return i == 64 ? 0 : -1;
}

/* Hash fd from its current position to EOF into md; adds the byte count to *n. */
static int hash_fd(int fd, EVP_MD_CTX *md, uint64_t *n)
{
	char *buf = malloc(HASH_BUF);
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	while ((r = read(fd, buf, HASH_BUF)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return (int)r;
		}
		sym_EVP_DigestUpdate(md, buf, (size_t)r);
		*n += (uint64_t)r;
	}
	free(buf);
	return 0;
}

/* sha256 of a whole file; 0, or -errno (ENOENT when missing). */
static int hash_file(const char *path, char out[65], uint64_t *size)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	EVP_MD_CTX *md;
	int fd, rc;

	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	md = sym_EVP_MD_CTX_new();
	if (!md) {
		close(fd);
		return -ENOMEM;
	}
	sym_EVP_DigestInit_ex(md, sym_EVP_sha256(), NULL);
	rc = hash_fd(fd, md, size);
	close(fd);
	if (rc == 0) {
		sym_EVP_DigestFinal_ex(md, d, &dn);
		hex(d, dn, out);
	}
	sym_EVP_MD_CTX_free(md);
	return rc;
}

/* The sum of everything hashed so far, without ending md (it may go on). */
static void peek_sum(EVP_MD_CTX *md, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	EVP_MD_CTX *c = sym_EVP_MD_CTX_new();

	out[0] = 0;
	if (!c)
		return;
	if (sym_EVP_MD_CTX_copy_ex(c, md) && sym_EVP_DigestFinal_ex(c, d, &dn))
		hex(d, dn, out);
	sym_EVP_MD_CTX_free(c);
}

/* http(s)://host[:port]/path with mirror M -> M/path.  A mirror that is a folder
 * becomes file://FOLDER.  file:// sources are not rewritten. */
static char *apply_mirror(const char *url, const char *mirror)
{
	const char *p;
	char *out = NULL;
	size_t ml;

	if (!mirror || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)))
		return strdup(url);
	p = strstr(url, "://") + 3;
	p = strchr(p, '/');
	if (!p)
		p = "/";
	ml = strlen(mirror);
	while (ml > 1 && mirror[ml - 1] == '/')
		ml--;
	if (asprintf(&out, "%s%.*s%s", mirror[0] == '/' ? "file://" : "", (int)ml, mirror, p) < 0)
		return NULL;
	return out;
}

static int64_t ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Progress for the host, and our own stall clock: libcurl's LOW_SPEED check averages
 * over several seconds, so after a burst it notices a stall only ~5 s late. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ul, curl_off_t uln)
{
	struct dl *d = ud;
	int64_t now = ms_now();
	uint64_t total, done = d->offset + (uint64_t)dlnow;
	(void)ul;
	(void)uln;

	if (dlnow != d->last_now || !d->last_move_ms) {
		d->last_now = dlnow;
		d->last_move_ms = now;
	} else if (now - d->last_move_ms >= d->stall_ms) {
		d->stalled = 1;
		return 1; /* CURLE_ABORTED_BY_CALLBACK */
	}
	if (!d->h->progress || (d->h->quiet && d->h->quiet(d->ctx)))
		return 0;
	/* at most 5 a second, and about once a second when nothing moves */
	if (now - d->last_progress_ms < (done != d->last_done ? 200 : 1000))
		return 0;
	d->last_progress_ms = now;
	d->last_done = done;
	/* libcurl counts only this transfer: add what was on disk before it */
	total = dltotal > 0 ? d->offset + (uint64_t)dltotal : d->expect > 0 ? (uint64_t)d->expect : 0;
	d->h->progress(d->ctx, d->what, done, total);
	return 0;
}

/* Response headers: note whether the server can resume, and Content-Range's total. */
static size_t on_header(char *buf, size_t sz, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = sz * n;
	const char *v;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		d->cr_total = -1;
	} else if (len > 14 && !strncasecmp(buf, "Accept-Ranges:", 14)) {
		for (v = buf + 14; v < buf + len && *v == ' '; v++)
			;
		if (buf + len - v >= 5 && !strncasecmp(v, "bytes", 5))
			d->ranges = 1;
	} else if (len > 14 && !strncasecmp(buf, "Content-Range:", 14)) {
		char tmp[128];
		const char *slash;
		snprintf(tmp, sizeof tmp, "%.*s", (int)(len - 14 < 127 ? len - 14 : 127), buf + 14);
		slash = strchr(tmp, '/');
		if (slash && isdigit((unsigned char)slash[1]))
			d->cr_total = strtoll(slash + 1, NULL, 10);
	}
	return len;
}

/* Write the staged bytes to .part and hand them to the hash.  0, or -1 with d->werrno. */
static int flush_stage(struct dl *d)
{
	size_t off = 0;
	while (off < d->staged) {
		ssize_t w = write(d->fd, d->stage + off, d->staged - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			d->werrno = errno;
			return -1;
		}
		off += (size_t)w;
	}
	hashq_push(d->hq, d->md, d->stage, d->staged);
	d->written += d->staged;
	d->staged = 0;
	/* start writeback every 8 MiB so the final fsync waits only for the tail, not the
	 * whole file (it overlaps the disk with the network) */
	if (d->written - d->flushed >= FLUSH_EVERY) {
		sync_file_range(d->fd, (off64_t)(d->offset + d->flushed), (off64_t)(d->written - d->flushed),
				SYNC_FILE_RANGE_WRITE);
		d->flushed = d->written;
	}
	return 0;
}

/* Start over at byte 0 of .part (the server sent the whole file, or it changed). */
static int restart_part(struct dl *d)
{
	d->staged = 0; /* bytes of the abandoned answer */
	if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
		return -errno;
	hashq_drain(d->hq);
	sym_EVP_DigestInit_ex(d->md, sym_EVP_sha256(), NULL);
	d->offset = 0;
	return 0;
}

static size_t on_data(char *buf, size_t sz, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = sz * n, off = 0;

	if (!d->started) {
		long code = 0;
		d->started = 1;
		sym_curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code == 206)
			d->ranges = 1;
		/* asked for a range, got the whole file (200): restart cleanly from 0 */
		if (d->offset > 0 && code != 206) {
			int rc = restart_part(d);
			if (rc < 0) {
				d->werrno = -rc;
				return 0;
			}
		}
	}
	/* libcurl hands over at most 16 KiB a call: gather 1 MiB before writing and hashing,
	 * so the file and the hash thread see few, large pieces */
	while (off < len) {
		size_t n = STAGE_SIZE - d->staged;
		if (n > len - off)
			n = len - off;
		memcpy(d->stage + d->staged, buf + off, n);
		d->staged += n;
		off += n;
		if (d->staged == STAGE_SIZE && flush_stage(d) < 0)
			return 0; /* short count: libcurl aborts with CURLE_WRITE_ERROR */
	}
	return len;
}

/* Open .part for this attempt: resume when allowed (hashing what is there first),
 * else truncate.  Sets d->offset. */
static int open_part(struct dl *d, int may_resume)
{
	if (d->fd < 0) {
		d->fd = open(d->part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600); /* no planted link */
		if (d->fd < 0)
			return d->h->error(d->ctx, -errno, "Cannot create %s: %s.", d->part, strerror(errno));
	}
	hashq_drain(d->hq);
	sym_EVP_DigestInit_ex(d->md, sym_EVP_sha256(), NULL);
	d->offset = 0;
	if (lseek(d->fd, 0, SEEK_SET) < 0)
		return d->h->error(d->ctx, -errno, "Cannot read %s: %s.", d->part, strerror(errno));
	if (may_resume && !d->is_file) {
		int rc = hash_fd(d->fd, d->md, &d->offset);
		if (rc < 0)
			return d->h->error(d->ctx, rc, "Cannot read %s: %s.", d->part, strerror(-rc));
		/* longer than the known size: it cannot be a prefix of the right file */
		if (d->expect >= 0 && d->offset > (uint64_t)d->expect)
			may_resume = 0;
	}
	if (!may_resume || d->is_file) {
		int rc = restart_part(d);
		if (rc < 0)
			return d->h->error(d->ctx, rc, "Cannot truncate %s: %s.", d->part, strerror(-rc));
	}
	return 0;
}

static int transient(struct dl *d, CURLcode rc, long code)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return d->stalled;
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return code >= 500 || code == 408 || code == 429;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: return 1;
	default: return 0;
	}
}

/* One transfer; returns the curl code and sets *code to the HTTP status (0 for file). */
static CURLcode transfer(struct dl *d, long stall_s, long timeout_s, long *code)
{
	char range[32];
	CURLcode rc;

	d->started = 0;
	d->written = 0;
	d->flushed = 0;
	d->werrno = 0;
	d->cr_total = -1;
	d->errbuf[0] = 0;
	d->stalled = 0;
	d->last_move_ms = 0;
	d->last_now = 0;
	d->stall_ms = stall_s * 1000;
	sym_curl_easy_reset(d->curl);
	sym_curl_easy_setopt(d->curl, CURLOPT_URL, d->url);
	sym_curl_easy_setopt(d->curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
	sym_curl_easy_setopt(d->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(d->curl, CURLOPT_FOLLOWLOCATION, 1L);
	sym_curl_easy_setopt(d->curl, CURLOPT_MAXREDIRS, 10L);
	sym_curl_easy_setopt(d->curl, CURLOPT_FAILONERROR, 1L);
	sym_curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(d->curl, CURLOPT_USERAGENT, "lia/" PACKAGE_VERSION);
	sym_curl_easy_setopt(d->curl, CURLOPT_ERRORBUFFER, d->errbuf);
	sym_curl_easy_setopt(d->curl, CURLOPT_BUFFERSIZE, 256L * 1024);
	sym_curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, on_data);
	sym_curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, d);
	sym_curl_easy_setopt(d->curl, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, d);
	sym_curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 0L);
	sym_curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	sym_curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, d);
	/* a stall: on_progress's clock, and libcurl's (slower to notice) as a backstop */
	sym_curl_easy_setopt(d->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	sym_curl_easy_setopt(d->curl, CURLOPT_LOW_SPEED_TIME, stall_s);
	sym_curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT, stall_s);
	sym_curl_easy_setopt(d->curl, CURLOPT_TIMEOUT, timeout_s);
	/* proxies: libcurl reads http_proxy/https_proxy/no_proxy itself */
	if (d->offset > 0) {
		/* CURLOPT_RANGE, not RESUME_FROM: libcurl would refuse a 200 reply with
		 * CURLE_RANGE_ERROR; we want to take it and restart from 0 instead */
		snprintf(range, sizeof range, "%" PRIu64 "-", d->offset);
		sym_curl_easy_setopt(d->curl, CURLOPT_RANGE, range);
	}
	d->staged = 0;
	rc = sym_curl_easy_perform(d->curl);
	/* what the transfer received is on disk (and hashed) whatever the outcome, so a
	 * kept .part can be resumed from its true end */
	if (d->staged > 0 && flush_stage(d) < 0 && rc == CURLE_OK)
		rc = CURLE_WRITE_ERROR;
	*code = 0;
	sym_curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, code);
	/* an empty 200 body after a range request: the write callback never ran */
	if (rc == CURLE_OK && !d->started && d->offset > 0 && *code != 206) {
		int e = restart_part(d);
		if (e < 0) {
			d->werrno = -e;
			rc = CURLE_WRITE_ERROR;
		}
	}
	return rc;
}

static void describe(struct dl *d, CURLcode rc, long code, long stall_s, char *out, size_t len)
{
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		snprintf(out, len, "the server answered HTTP %ld", code);
	else if (d->stalled || (rc == CURLE_OPERATION_TIMEDOUT && strstr(d->errbuf, "too slow")))
		snprintf(out, len, "the transfer stalled (no data for %ld s, setting download_stall_s)",
			 stall_s);
	else if (rc == CURLE_WRITE_ERROR && d->werrno)
		snprintf(out, len, "cannot write %s: %s", d->part, strerror(d->werrno));
	else
		snprintf(out, len, "%s", d->errbuf[0] ? d->errbuf : sym_curl_easy_strerror(rc));
	/* errbuf may end with a newline */
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '.'))
		out[--n] = 0;
	/* a host without internet (or DNS): the way out is a local mirror */
	if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT)
		snprintf(out + n, len - n, "%s",
			 d->mirrored ? " (the mirror named by the lia block's `mirror` setting)"
				     : "; without internet, set `mirror` in the lia block to a local mirror "
				       "(a folder or http://host/path; see lia.conf(5))");
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* .part is complete: check size and sum, then fsync, chmod, rename. */
static int finish(struct dl *d, struct lia_download *req, const char *want)
{
	uint64_t size = d->offset + d->written;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	mode_t mode = req->mode ? req->mode : 0644;

	hashq_drain(d->hq);
	sym_EVP_DigestFinal_ex(d->md, dg, &dn);
	hex(dg, dn, req->got_sha256);
	if (d->expect >= 0 && size != (uint64_t)d->expect) {
		unlink(d->part);
		return d->h->error(d->ctx, -EBADMSG,
				   "Downloaded %s is %" PRIu64 " bytes but %" PRId64
				   " were expected; %s was left as it was.",
				   d->url, size, d->expect, req->dest);
	}
	if (want[0] && strcmp(want, req->got_sha256)) {
		unlink(d->part);
		return d->h->error(d->ctx, -EBADMSG,
				   "Downloaded %s has SHA-256 %s but %s was expected; %s was left as it was.",
				   d->url, req->got_sha256, want, req->dest);
	}
	if (fsync(d->fd) < 0 || fchmod(d->fd, mode) < 0) {
		int e = errno;
		unlink(d->part);
		return d->h->error(d->ctx, -e, "Cannot write %s: %s.", d->part, strerror(e));
	}
	close(d->fd);
	d->fd = -1;
	if (rename(d->part, req->dest) < 0) {
		int e = errno;
		unlink(d->part);
		return d->h->error(d->ctx, -e, "Cannot rename %s to %s: %s.", d->part, req->dest,
				   strerror(e));
	}
	fsync_dir_of(req->dest);
	if (d->h->progress && !(d->h->quiet && d->h->quiet(d->ctx)))
		d->h->progress(d->ctx, d->what, size, size);
	return 0;
}

/* Is dest already the expected file?  1 yes, 0 no. */
static int dest_matches(struct lia_ctx *ctx, struct lia_download *req, const char *want)
{
	char sum[65];
	uint64_t size;
	struct stat st;

	if (!want[0] || hash_file(req->dest, sum, &size) < 0 || strcmp(sum, want))
		return 0;
	if (req->expect_size >= 0 && size != (uint64_t)req->expect_size)
		return 0;
	memcpy(req->got_sha256, sum, sizeof sum);
	if (req->mode && stat(req->dest, &st) == 0 && (st.st_mode & 07777) != req->mode &&
	    chmod(req->dest, req->mode) < 0)
		ctx->host->log(ctx, LIA_LOG_WARN, "cannot set the mode of %s: %s", req->dest,
			       strerror(errno));
	return 1;
}

static int run(struct dl *d, struct lia_download *req, const char *want)
{
	long stall_s = gint(d->ctx, "download_stall_s", 30);
	long timeout_s = gint(d->ctx, "download_timeout", 0);
	long retries = gint(d->ctx, "download_retries", 3);
	long backoff = gint(d->ctx, "download_backoff_ms", 1000);
	int restarts = 0, rc;
	long attempt = 0;
	char why[CURL_ERROR_SIZE + 128];

	if (stall_s < 1)
		stall_s = 1;
	/* a .part left by an earlier run was kept only because it could be resumed */
	rc = open_part(d, 1);
	if (rc < 0)
		return rc;
	/* it may already be complete (e.g. the rename of an earlier run failed) */
	if (want[0] && d->offset > 0) {
		char sum[65];
		hashq_drain(d->hq);
		peek_sum(d->md, sum);
		if (!strcmp(sum, want) && (d->expect < 0 || d->offset == (uint64_t)d->expect))
			return finish(d, req, want);
	}
	for (;;) {
		long code = 0;
		CURLcode cr;

		if (d->offset > 0)
			d->h->log(d->ctx, LIA_LOG_INFO, "resuming %s at byte %" PRIu64, d->url, d->offset);
		cr = transfer(d, stall_s, timeout_s, &code);
		if (cr == CURLE_OK) {
			req->fetched = 1;
			return finish(d, req, want);
		}
		/* 416: .part already holds at least the whole file; complete when the size fits */
		if (cr == CURLE_HTTP_RETURNED_ERROR && code == 416 && d->offset > 0) {
			req->fetched = 1;
			if (d->cr_total >= 0 && (uint64_t)d->cr_total == d->offset)
				return finish(d, req, want);
			if (restarts++ == 0) {
				rc = open_part(d, 0);
				if (rc < 0)
					return rc;
				continue;
			}
		}
		describe(d, cr, code, stall_s, why, sizeof why);
		if (transient(d, cr, code) && attempt < retries) {
			long ms = backoff << (attempt < 10 ? attempt : 10);
			struct timespec ts;
			if (ms > 30000)
				ms = 30000;
			attempt++;
			d->h->log(d->ctx, LIA_LOG_WARN, "downloading %s: %s; retry %ld of %ld in %ld ms",
				  d->url, why, attempt, retries, ms);
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000L;
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
			rc = open_part(d, d->ranges);
			if (rc < 0)
				return rc;
			continue;
		}
		req->fetched = 1;
		/* keep what we have only when a later run can resume it */
		if (!(d->ranges && !d->is_file && d->offset + d->written > 0 && transient(d, cr, code)))
			unlink(d->part);
		else
			d->h->log(d->ctx, LIA_LOG_INFO, "kept %s (%" PRIu64 " bytes) to resume next time",
				  d->part, d->offset + d->written);
		if (attempt)
			return d->h->error(d->ctx, -EIO, "Downloading %s failed: %s (after %ld attempts).",
					   d->url, why, attempt + 1);
		return d->h->error(d->ctx, cr == CURLE_HTTP_RETURNED_ERROR && code == 404 ? -ENOENT : -EIO,
				   "Downloading %s failed: %s.", d->url, why);
	}
}

int lia_download_service(struct lia_ctx *ctx, struct lia_download *req)
{
	const struct lia_host *h = ctx->host;
	struct dl d = { .ctx = ctx, .h = h, .fd = -1 };
	char want[65] = "";
	char *url = NULL, *base = NULL;
	int rc;

	if (!req || req->size < sizeof *req || !req->url || !req->dest || !*req->url || !*req->dest)
		return h->error(ctx, -EINVAL, "A download was requested without a URL or a destination");
	req->got_sha256[0] = 0;
	req->fetched = 0;
	if (req->sha256 && *req->sha256 && norm_sha(req->sha256, want) < 0)
		return h->error(ctx, -EINVAL, "the expected SHA-256 for %s is not 64 hex digits: \"%s\"",
				req->url, req->sha256);
	if (strncasecmp(req->url, "http://", 7) && strncasecmp(req->url, "https://", 8) &&
	    strncasecmp(req->url, "file://", 7))
		return h->error(ctx, -EINVAL,
				"cannot download %s: only http://, https:// and file:// URLs are supported",
				req->url);
	/* the right file is already there: no request at all */
	if (dest_matches(ctx, req, want))
		return 0;
	char why[600];
	if (download_open_curl(why, sizeof why) < 0)
		return h->error(ctx, -ELIBACC, "cannot download %s: %s", req->url, why);

	url = apply_mirror(req->url, gstr(ctx, "mirror"));
	base = strdup(req->dest);
	if (!url || !base || asprintf(&d.part, "%s.part", req->dest) < 0) {
		d.part = NULL;
		rc = h->error(ctx, -ENOMEM, "out of memory downloading %s", req->url);
		goto out;
	}
	if (strcmp(url, req->url))
		h->log(ctx, LIA_LOG_INFO, "%s: using the mirror: %s", req->url, url);
	d.url = url;
	d.mirrored = strcmp(url, req->url) != 0;
	d.what = basename(base);
	d.is_file = !strncasecmp(url, "file://", 7);
	d.expect = req->expect_size;
	d.md = sym_EVP_MD_CTX_new();
	d.curl = sym_curl_easy_init();
	if (!d.md || !d.curl) {
		rc = h->error(ctx, -ENOMEM, "cannot start downloading %s: out of memory", url);
		goto out;
	}
	d.hq = hashq_new(d.md); /* NULL: hash inline */
	d.stage = malloc(STAGE_SIZE);
	if (!d.stage) {
		rc = h->error(ctx, -ENOMEM, "cannot start downloading %s: out of memory", url);
		goto out;
	}
	rc = run(&d, req, want);
out:
	hashq_free(d.hq);
	free(d.stage);
	if (d.fd >= 0)
		close(d.fd);
	if (d.curl)
		sym_curl_easy_cleanup(d.curl);
	sym_EVP_MD_CTX_free(d.md);
	free(d.part);
	free(base);
	free(url);
	return rc;
}

/* once, on first use: most lia-core runs download nothing and should neither map libcurl
 * nor pay for TLS initialisation (lia-core is single-threaded) */
static int download_open_curl(char *why, size_t len)
{
	static int rc = 1;
	if (rc == 1) {
		rc = crypto_dl_open(why, len);
		if (rc == 0)
			rc = curl_dl_open(why, len);
		if (rc == 0 && sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			rc = -EIO;
	}
	if (rc == -EIO)
		snprintf(why, len, "libcurl failed to initialise (curl_global_init)");
	else if (rc < 0 && crypto_dl_open(why, len) == 0)
		curl_dl_open(why, len); /* the reason again */
	return rc;
}

int lia_download_global_init(void)
{
	char why[600];
	return download_open_curl(why, sizeof why);
}
