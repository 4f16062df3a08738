/* Group commit of VM records: a command acting on many VMs saves their records together.
 * Each record is still written to a temp file that is durable before it is renamed over
 * the record, as record_save does, but the flushes are shared: every temp file is written
 * (its writeback started), then one syncfs makes them all durable, then they are renamed,
 * then one fsync of vms/ makes the renames durable: two flushes for the group instead of
 * one per record. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "state.h"
#include "state_index.h"
#include "util.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno ?: -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* the temp file of a record with its new text, written and its writeback started: fd */
static int write_temp(struct vm_record *r, char **tmp)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(r->root, "updated_at", json_string(ts));
	char *text = json_dumps(r->root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	*tmp = xasprintf("%s.tmp.%ld", r->path, (long)getpid()); /* state_sweep's pattern */
	/* created exclusively: a stale temp of a dead process with our PID, or a link planted
	 * there, is removed first, never written through */
	unlink(*tmp);
	int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e = fd < 0 ? -errno : 0;
	if (!e)
		e = write_all(fd, text, strlen(text));
	if (!e)
		e = write_all(fd, "\n", 1);
	if (!e && fchmod(fd, 0600) < 0)
		e = -errno;
	if (!e)
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* start it; the fsync waits */
	free(text);
	if (e) {
		if (fd >= 0)
			close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return e;
	}
	return fd;
}

int records_save_group(struct vm_record **rs, size_t n, int *errs)
{
	if (n == 0)
		return 0;
	int bad = 0;
	int *fds = xcalloc(n, sizeof(int));
	char **tmps = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		fds[i] = write_temp(rs[i], &tmps[i]);
		errs[i] = fds[i] < 0 ? fds[i] : 0;
	}
	/* every temp file durable before any rename: one syncfs of the file system of vms/
	 * (a group of one, or a file system that refuses syncfs: an fsync per file) */
	struct state *s = rs[0]->st;
	int synced = 0;
	if (n > 1) {
		int dfd = open(s->vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		synced = dfd >= 0 && syncfs(dfd) == 0;
		if (dfd >= 0)
			close(dfd);
	}
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (!synced && fsync(fds[i]) < 0 && !errs[i])
			errs[i] = -errno;
		if (close(fds[i]) < 0 && !errs[i])
			errs[i] = -errno;
	}
	/* the renames under one state lock: their index lines go in one append */
	sidx_change_begin(s);
	for (size_t i = 0; i < n; i++) {
		if (!tmps[i])
			continue;
		if (errs[i]) {
			unlink(tmps[i]);
		} else {
			sidx_change_begin(rs[i]->st);
			if (rename(tmps[i], rs[i]->path) < 0) {
				errs[i] = -errno;
				unlink(tmps[i]);
			}
			sidx_record_saved(rs[i], errs[i]);
			if (!errs[i]) {
				rs[i]->dirty = rs[i]->ledger_dirty = 0;
				record_ledger_saved(rs[i]);
				record_note_state(rs[i]);
			}
		}
		free(tmps[i]);
	}
	sidx_change_end(s);
	/* the renames durable: one fsync of vms/ for the group */
	int dfd = open(s->vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int de = dfd < 0 || fsync(dfd) < 0 ? -errno : 0;
	if (dfd >= 0)
		close(dfd);
	for (size_t i = 0; i < n; i++) {
		if (!errs[i] && de)
			errs[i] = de;
		bad |= errs[i] != 0;
	}
	free(fds);
	free(tmps);
	return bad ? -EIO : 0;
}
