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

/* One open of the log serves the rotation check, the last id and the last byte (a torn
 * line): a per-VM start appends two events, and each syscall is paid per VM (issue 13). */
int events_append(const char *state_dir, const char *name, const char *old_state, const char *new_state)
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
	id++;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	char when[40];
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + k, sizeof(when) - k, ".%03ldZ", ts.tv_nsec / 1000000);
	json_t *j = json_pack("{s:I,s:s,s:s,s:s?,s:s}", "id", (json_int_t)id, "time", when, "name", name,
			      "old", old_state, "new", new_state);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	/* after a torn line (a write that failed mid-way), start on a line of our own */
	char *line = xasprintf("%s%s\n", lastc != '\n' ? "\n" : "", text);
	free(text);
	errno = 0;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		e = -(errno ? errno : EIO);
	free(line);
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
