/* Appending to the event log (see events.h).  Ids grow by one per event across rotations:
 * the next id is read from the last line of the log (or of the rotated log) under the lock. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "events.h"
#include "util.h"

/* id of the last line of the open file fd (whose fstat is st) that is a whole event, 0 when
 * none: a line torn by a writer that failed mid-way (a full disk) is passed over, so that
 * ids never restart.  *lastc: the file's last byte ('\n' when empty). */
static uint64_t last_id_fd(int fd, const struct stat *st, char *lastc)
{
	uint64_t id = 0;
	char buf[8192 + 1];
	*lastc = '\n';
	if (!S_ISREG(st->st_mode) || st->st_size <= 0)
		return 0;
	off_t from = st->st_size > 8192 ? st->st_size - 8192 : 0;
	ssize_t n = pread(fd, buf, (size_t)(st->st_size - from), from);
	if (n <= 0)
		return 0;
	*lastc = buf[n - 1];
	buf[n] = 0;
	/* from the last line backwards, the first that parses with an id */
	char *end = buf + n;
	while (id == 0 && end > buf) {
		while (end > buf && end[-1] == '\n')
			*--end = 0;
		char *line = end;
		while (line > buf && line[-1] != '\n')
			line--;
		if (line == buf && from > 0)
			break; /* maybe the tail of a line cut by the window */
		json_t *j = json_loads(line, 0, NULL);
		if (j)
			id = (uint64_t)json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		end = line;
	}
	return id;
}

static uint64_t last_id_in(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); /* no planted link or FIFO */
	if (fd < 0)
		return 0;
	struct stat st;
	char lastc;
	uint64_t id = fstat(fd, &st) == 0 ? last_id_fd(fd, &st, &lastc) : 0;
	close(fd);
	return id;
}

/* events.log opened for appending, a regular file (no planted link, FIFO or device) */
static int open_log(const char *path, struct stat *st)
{
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	int e = fstat(fd, st) < 0 ? -errno : !S_ISREG(st->st_mode) ? -EINVAL : 0;
	if (e == 0)
		return fd;
	close(fd);
	return e;
}

uint64_t events_last_id(const char *state_dir)
{
	char *p = xasprintf("%s/events.log", state_dir);
	uint64_t id = last_id_in(p);
	if (id == 0) {
		char *p1 = xasprintf("%s.1", p);
		id = last_id_in(p1);
		free(p1);
	}
	free(p);
	return id;
}

/* events held back by events_hold(): written together by events_release() */
struct held_event {
	char *name, *old_state, *new_state;
	char when[40];
};
static struct {
	int on;
	char *dir;
	struct held_event *ev;
	size_t n, cap;
} held;

static void *grow(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		msg_err("out of memory");
		abort();
	}
	return q;
}

static void now_iso(char when[40])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(when, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + k, 40 - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* the lines of n events with ids from id on, as one text */
static char *event_lines(const struct held_event *ev, size_t n, uint64_t id, int newline_first)
{
	size_t len = 0, cap = 128 * n + 2;
	char *out = xmalloc(cap);
	if (newline_first)
		out[len++] = '\n'; /* after a torn line (a write that failed mid-way), a line of our own */
	for (size_t i = 0; i < n; i++) {
		json_t *j =
			json_pack("{s:I,s:s,s:s,s:s?,s:s}", "id", (json_int_t)(id + i), "time", ev[i].when,
				  "name", ev[i].name, "old", ev[i].old_state, "new", ev[i].new_state);
		char *text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		size_t tl = text ? strlen(text) : 0;
		if (len + tl + 2 > cap) {
			cap = 2 * (len + tl + 2);
			out = grow(out, cap);
		}
		memcpy(out + len, text, tl);
		len += tl;
		out[len++] = '\n';
		free(text);
	}
	out[len] = 0;
	return out;
}

/* One open of the log serves the rotation check, the last id and the last byte (a torn
 * line), and one write appends all n events (a group commit's VMs, issue 13): ids
 * consecutive, lines in the order given. */
static int append_events(const char *state_dir, const struct held_event *ev, size_t n)
{
	char *lockp = xasprintf("%s/events.lock", state_dir);
	char *logp = xasprintf("%s/events.log", state_dir);
	char *oldp = xasprintf("%s/events.log.1", state_dir);
	int e = 0, fd = -1;
	int lfd = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		e = -errno;
		goto out;
	}
	struct stat st;
	if ((fd = open_log(logp, &st)) < 0) {
		e = fd;
		goto out;
	}
	if (st.st_size > EVENTS_ROTATE_BYTES) {
		close(fd);
		fd = rename(logp, oldp) < 0 ? -errno : open_log(logp, &st);
		if (fd < 0) {
			e = fd;
			goto out;
		}
	}
	char lastc;
	uint64_t id = last_id_fd(fd, &st, &lastc);
	if (id == 0)
		id = last_id_in(oldp); /* a new log goes on from the rotated one */
	char *lines = event_lines(ev, n, id + 1, lastc != '\n');
	size_t len = strlen(lines);
	errno = 0;
	if (write(fd, lines, len) != (ssize_t)len)
		e = -(errno ? errno : EIO);
	free(lines);
out:
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	free(lockp);
	free(logp);
	free(oldp);
	return e;
}

static void held_clear(void)
{
	for (size_t i = 0; i < held.n; i++) {
		free(held.ev[i].name);
		free(held.ev[i].old_state);
		free(held.ev[i].new_state);
	}
	free(held.ev);
	free(held.dir);
	memset(&held, 0, sizeof held);
}

int events_append(const char *state_dir, const char *name, const char *old_state, const char *new_state)
{
	if (held.on && strcmp(held.dir, state_dir) == 0) {
		if (held.n == held.cap) {
			held.cap = held.cap ? 2 * held.cap : 64;
			held.ev = grow(held.ev, held.cap * sizeof *held.ev);
		}
		struct held_event *h = &held.ev[held.n++];
		h->name = xstrdup(name);
		h->old_state = old_state ? xstrdup(old_state) : NULL;
		h->new_state = xstrdup(new_state);
		now_iso(h->when);
		return 0;
	}
	struct held_event one = { .name = (char *)name,
				  .old_state = (char *)old_state,
				  .new_state = (char *)new_state };
	now_iso(one.when);
	return append_events(state_dir, &one, 1);
}

void events_hold(const char *state_dir)
{
	held_clear();
	held.on = 1;
	held.dir = xstrdup(state_dir);
}

int events_release(void)
{
	int e = held.on && held.n ? append_events(held.dir, held.ev, held.n) : 0;
	held_clear();
	return e;
}
