/* GET /v1/events: the event log (events.h) as Server-Sent Events.  Every lia-core process
 * that changes a VM's state appends to the log, so the stream shows the changes made by
 * the CLI and by gc as well as the daemon's own.  The stream follows the file (polled every
 * 100 ms, following a rotation); a client that reconnects with Last-Event-ID gets every
 * retained event after that id. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "events.h"
#include "serve.h"
#include "util.h"

#define KEEPALIVE_MS 10000

struct stream {
	struct serve *s;
	char *log, *old; /* events.log, events.log.1 */
	uint64_t last;   /* the last id sent (or skipped) */
	int fd;
	ino_t ino;
	off_t off;
	char *out;
	size_t olen, opos;
	double last_send;
};

static void emit(struct stream *st, const char *text, size_t n)
{
	st->out = realloc(st->out, st->olen + n);
	if (!st->out)
		abort();
	memcpy(st->out + st->olen, text, n);
	st->olen += n;
}

static void open_file(struct stream *st, const char *path)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	st->off = 0;
	struct stat sb;
	st->ino = st->fd >= 0 && fstat(st->fd, &sb) == 0 ? sb.st_ino : 0;
}

/* new complete lines of the file in hand; at its end, move on to a newer events.log */
static void pump(struct stream *st)
{
	char buf[65536];
	for (int rounds = 0; rounds < 4; rounds++) {
		ssize_t n = st->fd >= 0 ? pread(st->fd, buf, sizeof(buf) - 1, st->off) : 0;
		if (n > 0) {
			buf[n] = 0;
			char *end = memrchr(buf, '\n', (size_t)n);
			if (!end)
				return; /* half a line: the writer is in the middle of it */
			st->off += end + 1 - buf;
			*end = 0;
			for (char *line = buf, *nl; line; line = nl) {
				nl = strchr(line, '\n');
				if (nl)
					*nl++ = 0;
				json_t *j = json_loads(line, 0, NULL);
				uint64_t id = (uint64_t)json_integer_value(json_object_get(j, "id"));
				json_decref(j);
				if (!j || id <= st->last)
					continue;
				st->last = id;
				char head[64];
				int h = snprintf(head, sizeof(head),
						 "id: %llu\nevent: vm-state\ndata: ", (unsigned long long)id);
				emit(st, head, (size_t)h);
				emit(st, line, strlen(line));
				emit(st, "\n\n", 2);
			}
			continue;
		}
		struct stat sb;
		if (stat(st->log, &sb) == 0 && sb.st_ino != st->ino)
			open_file(st, st->log); /* rotated, or we were reading events.log.1 */
		else
			return;
	}
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *st = cls;
	for (;;) {
		if (st->opos < st->olen) {
			size_t n = st->olen - st->opos;
			if (n > max)
				n = max;
			memcpy(buf, st->out + st->opos, n);
			st->opos += n;
			if (st->opos == st->olen)
				st->opos = st->olen = 0;
			st->last_send = now_ms();
			return (ssize_t)n;
		}
		/* read the log before looking at `stopping`: an event written just before the
		 * daemon was told to stop is still sent (the stream ends only once it is drained) */
		int stopping = st->s->stopping;
		pump(st);
		if (st->olen)
			continue;
		if (stopping)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (now_ms() - st->last_send > KEEPALIVE_MS) {
			emit(st, ": keep-alive\n\n", 14);
			continue;
		}
		usleep(100 * 1000);
	}
}

static int open_streams;

int events_streams_open(void)
{
	return __atomic_load_n(&open_streams, __ATOMIC_SEQ_CST);
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	__atomic_sub_fetch(&open_streams, 1, __ATOMIC_SEQ_CST);
	if (st->fd >= 0)
		close(st->fd);
	free(st->log);
	free(st->old);
	free(st->out);
	free(st);
}

struct MHD_Response *events_response(struct serve *s, const char *last_event_id)
{
	struct stream *st = xcalloc(1, sizeof(*st));
	__atomic_add_fetch(&open_streams, 1, __ATOMIC_SEQ_CST);
	st->s = s;
	st->fd = -1;
	st->log = xasprintf("%s/events.log", s->a->st.dir);
	st->old = xasprintf("%s/events.log.1", s->a->st.dir);
	st->last_send = now_ms();
	if (last_event_id) {
		st->last = strtoull(last_event_id, NULL, 10);
		open_file(st, access(st->old, F_OK) == 0 ? st->old : st->log);
	} else {
		st->last = events_last_id(s->a->st.dir);
		open_file(st, st->log);
	}
	emit(st, "retry: 1000\n\n", 13);
	struct MHD_Response *r =
		sym_MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, st, stream_free);
	sym_MHD_add_response_header(r, "Content-Type", "text/event-stream");
	sym_MHD_add_response_header(r, "Cache-Control", "no-cache");
	return r;
}
