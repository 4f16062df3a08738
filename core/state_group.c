/* Group commit of VM records: a command acting on many VMs saves their records together.
 * Each record is still written to a temp file that is durable before it is renamed over
 * the record, as record_save does, but the flushes are shared: every temp file is written,
 * then one syncfs makes them all durable, then they are renamed, then one fsync of vms/
 * makes the renames durable: two flushes for the group instead of one per record.
 * The temp files are made in vms/.tmp (temp_dir), renamed into vms/ under the state lock.
 * The writeback of the temp files is left to syncfs, not started file by file
 * (sync_file_range): the kernel then allocates their blocks and submits their writes
 * together (a 150-VM batch start took a third less time on a virtio disk, issue 13). */
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
#include "events.h"
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

/* The folder of a group's temp files: vms/.tmp (0700, ours, never through a link), so that
 * vms/ itself changes only by the renames, under the state lock with their index lines,
 * and the index stays stamped current after a batch (else the next command compares
 * every record's stamp).  Its fd; else vms/ itself (the fd of that), or -errno. */
static int temp_dir(struct state *s)
{
	char *p = xasprintf("%s/.tmp", s->vms);
	struct stat st;
	int fd = mkdir(p, 0700) == 0 || errno == EEXIST
			 ? open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			 : -1;
	free(p);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & 077))
		return fd;
	if (fd >= 0)
		close(fd);
	fd = open(s->vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* the temp file of a record with its new text in folder tdir (its name: *tmp), written
 * (not yet durable): fd */
static int write_temp(struct vm_record *r, int tdir, char **tmp)
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
	size_t len = strlen(text);
	char *t2 = realloc(text, len + 2); /* the text and its newline in one write */
	if (!t2) {
		free(text);
		return -ENOMEM;
	}
	text = t2;
	text[len++] = '\n';
	text[len] = 0;
	*tmp = xasprintf("%s.json.tmp.%ld", r->name, (long)getpid()); /* state_sweep's pattern */
	/* created exclusively: a stale temp of a dead process with our PID, or a link planted
	 * there, is removed and the open tried once more, never written through */
	int fd = openat(tdir, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(tdir, *tmp, 0) == 0)
		fd = openat(tdir, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e = fd < 0 ? -errno : 0;
	if (!e)
		e = write_all(fd, text, len);
	if (!e && fchmod(fd, 0600) < 0)
		e = -errno;
	free(text);
	if (e) {
		if (fd >= 0)
			close(fd);
		unlinkat(tdir, *tmp, 0);
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
	struct state *s = rs[0]->st;
	int tdir = temp_dir(s);
	if (tdir < 0) {
		for (size_t i = 0; i < n; i++)
			errs[i] = tdir;
		return -EIO;
	}
	int *fds = xcalloc(n, sizeof(int));
	char **tmps = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		fds[i] = write_temp(rs[i], tdir, &tmps[i]);
		errs[i] = fds[i] < 0 ? fds[i] : 0;
	}
	/* every temp file durable before any rename: one syncfs of the file system of vms/
	 * (a group of one, or a file system that refuses syncfs: an fsync per file) */
	int synced = 0;
	if (n > 1) {
		int dfd = open(s->vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		synced = dfd >= 0 && syncfs(dfd) == 0;
		if (dfd >= 0)
			close(dfd);
	}
	for (size_t i = 0; !synced && i < n; i++) /* fsyncs one by one: start every writeback first */
		if (fds[i] >= 0)
			sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (!synced && fsync(fds[i]) < 0 && !errs[i])
			errs[i] = -errno;
		if (close(fds[i]) < 0 && !errs[i])
			errs[i] = -errno;
	}
	/* the renames under one state lock: their index lines go in one append; the group's
	 * events in one append to events.log, after its renames */
	sidx_change_begin(s);
	events_hold(s->dir);
	for (size_t i = 0; i < n; i++) {
		if (!tmps[i])
			continue;
		if (errs[i]) {
			unlinkat(tdir, tmps[i], 0);
		} else {
			sidx_change_begin(rs[i]->st);
			if (renameat(tdir, tmps[i], AT_FDCWD, rs[i]->path) < 0) {
				errs[i] = -errno;
				unlinkat(tdir, tmps[i], 0);
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
	int ee = events_release();
	if (ee < 0)
		msg_warn("cannot append to the event log in %s: %s", s->dir, strerror(-ee));
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
	close(tdir);
	free(fds);
	free(tmps);
	return bad ? -EIO : 0;
}
