/* The worker pool of lia-core serve.  VM operations run in worker processes, never in the
 * daemon: a plugin that crashes or hangs takes one worker with it, not the daemon or the
 * other VMs.  Workers are forked by a spawner process that the daemon forks first, while
 * it is still single-threaded and has loaded the configuration and the plugins: so a new
 * worker costs a fork (no exec, no library loading), and no worker is ever forked from the
 * threaded daemon.  Each worker opens the plugins once, then runs one request at a time:
 * a JSON line in, a JSON line out, over its own socket pair.  A worker whose daemon has
 * gone finishes the operation in hand and exits. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmds.h"
#include "run.h"
#include "serve.h"
#include "util.h"
#include "vm_ops.h"

struct worker {
	pid_t pid;
	int fd; /* -1: none (not yet spawned, or dead) */
	int busy;
};

static struct worker *W;
static int NW;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t spawn_mu = PTHREAD_MUTEX_INITIALIZER;
static int spawn_fd = -1;

/* ---- the worker process ---------------------------------------------------------------- */

static int send_line(int fd, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	char *line = xasprintf("%s\n", text);
	free(text);
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(line);
	return off == len ? 0 : -1;
}

static json_t *failure_json(struct app *a, int rc)
{
	const char *code = a->fail.code[0]    ? a->fail.code
			   : rc == EXIT_USAGE ? "config_error"
					      : "operation_failed";
	const char *msg = a->fail.message[0] ? a->fail.message
					     : "the operation failed; the daemon's log has the messages";
	return json_pack("{s:s,s:s,s:s?,s:s?}", "code", code, "message", msg, "plugin",
			 a->fail.plugin[0] ? a->fail.plugin : NULL, "phase",
			 a->fail.phase[0] ? a->fail.phase : NULL);
}

static int vm_running(struct app *a, const char *name)
{
	struct vm_record *r;
	if (record_open(&a->st, name, 0, 0, &r) < 0)
		return 0;
	int running = strcmp(vm_effective_state(r), "running") == 0;
	record_close(r);
	return running;
}

/* stop's timeout_s is the VMM's graceful wait for that one request.  By the vmm role's
 * convention (docs/plugin-guide.md), its setting stop_timeout is the seconds it waits for
 * the guest to shut down before it kills it; the worker sets it for the operation and
 * restores it after.  NULL when the vmm plugin has no such setting. */
static struct cfg_value *vmm_stop_timeout(struct app *a)
{
	for (size_t i = 0; i < a->nplugins; i++) {
		const struct loaded_plugin *lp = &a->plugins[i];
		if (!lp->desc->provides || strcmp(lp->desc->provides, "vmm") != 0)
			continue;
		const struct cfg_value *v = block_value(lp->block, "stop_timeout");
		if (v && v->opt && v->opt->type == LIA_OPT_INT)
			return (struct cfg_value *)v;
	}
	return NULL;
}

static int stop_within(struct app *a, const char *name, int force, int64_t wait_s)
{
	struct cfg_value *v = wait_s > 0 ? vmm_stop_timeout(a) : NULL;
	int64_t saved = v ? v->i : 0;
	if (v) {
		if ((v->opt->flags & LIA_OPT_RANGE) && wait_s > v->opt->max)
			wait_s = v->opt->max;
		v->i = wait_s;
	}
	int rc = vm_op_stop(a, name, force);
	if (v)
		v->i = saved;
	return rc;
}

static json_t *worker_do(struct app *a, json_t *req)
{
	app_fail_clear(a);
	const char *op = json_string_value(json_object_get(req, "op"));
	const char *name = json_string_value(json_object_get(req, "name"));
	int force = json_is_true(json_object_get(req, "force"));
	int rc;
	if (!op)
		op = "";
	if (strcmp(op, "create") == 0) {
		struct vm_spec spec = {
			.vcpus = json_integer_value(json_object_get(req, "vcpus")),
			.mem_mib = json_integer_value(json_object_get(req, "mem_mib")),
			.volume_mib = json_integer_value(json_object_get(req, "volume_mib")),
			.ssh_key = json_string_value(json_object_get(req, "ssh_keys")),
		};
		rc = vm_op_create(a, name, &spec);
	} else if (strcmp(op, "start") == 0) {
		rc = vm_op_start(a, name);
	} else if (strcmp(op, "stop") == 0) {
		rc = stop_within(a, name, force, json_integer_value(json_object_get(req, "timeout_s")));
	} else if (strcmp(op, "destroy") == 0) {
		rc = 0;
		if (vm_running(a, name)) {
			if (!force) {
				app_fail(a, "vm_running", NULL, NULL,
					 "VM '%s' is running: stop it first, or destroy with ?force=true",
					 name);
				rc = EXIT_FAIL;
			} else {
				rc = vm_op_stop(a, name, 1);
			}
		}
		if (!rc)
			rc = vm_op_destroy(a, name);
	} else if (strcmp(op, "gc") == 0) {
		char *argv[] = { (char *)"gc", NULL };
		rc = cmd_gc(a, 1, argv);
	} else {
		app_fail(a, "bad_request", NULL, NULL, "unknown operation '%s'", op);
		rc = EXIT_USAGE;
	}
	plan_flush(a); /* each operation flushes its own; nothing deferred outlives a request */
	json_t *ans = json_pack("{s:i}", "rc", rc);
	if (rc)
		json_object_set_new(ans, "error", failure_json(a, rc));
	return ans;
}

static void worker_main(struct app *a, int fd)
{
	lia_quiet = 1;
	a->json = 0;
	int rc = app_open_plugins(a);
	json_t *hello = json_pack("{s:i}", "ready", rc);
	if (rc)
		json_object_set_new(hello, "error", failure_json(a, rc));
	send_line(fd, hello);
	json_decref(hello);
	if (rc)
		_exit(rc);
	FILE *in = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in) > 0) {
		json_t *req = json_loads(line, 0, NULL);
		json_t *ans = req ? worker_do(a, req) : json_pack("{s:i}", "rc", EXIT_USAGE);
		json_decref(req);
		/* children of the plugins that exited (a VMM that died on its own) */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (send_line(fd, ans) < 0) {
			json_decref(ans);
			break; /* the daemon is gone: the work is done, nothing to tell */
		}
		json_decref(ans);
	}
	free(line);
	_exit(0);
}

/* ---- the spawner process ----------------------------------------------------------------- */

static void spawner_main(struct app *a, int ctl)
{
	/* workers are reaped by the kernel; a worker puts SIGCHLD back for its plugins */
	signal(SIGCHLD, SIG_IGN);
	char c;
	for (;;) {
		ssize_t n = read(ctl, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the daemon is gone */
		int sv[2];
		pid_t pid = -1;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
			pid = fork();
			if (pid == 0) {
				close(ctl);
				close(sv[0]);
				signal(SIGCHLD, SIG_DFL);
				worker_main(a, sv[1]);
			}
			close(sv[1]);
		}
		struct msghdr m = { 0 };
		struct iovec iov = { .iov_base = &pid, .iov_len = sizeof(pid) };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		if (pid > 0) {
			m.msg_control = u.buf;
			m.msg_controllen = sizeof(u.buf);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
		}
		if (sendmsg(ctl, &m, MSG_NOSIGNAL) < 0)
			_exit(0);
		if (pid > 0)
			close(sv[0]);
	}
}

/* ---- the daemon's side -------------------------------------------------------------------- */

/* one line from fd within timeout_ms; NULL on EOF, error (*timed_out = 0) or timeout (1) */
static json_t *read_answer(int fd, int timeout_ms, int *timed_out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	double until = now_ms() + timeout_ms;
	*timed_out = 0;
	for (;;) {
		double left = until - now_ms();
		if (left <= 0) {
			*timed_out = 1;
			break;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		if (r < 0)
			break;
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len)) {
			buf[len] = 0;
			json_t *j = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
			free(buf);
			return j;
		}
	}
	free(buf);
	return NULL;
}

/* a new worker in slot w (the caller owns the slot); 0, or -1 with the reason in *why */
static int spawn(struct worker *w, int timeout_ms, json_t **why)
{
	pid_t pid = -1;
	int fd = -1;
	pthread_mutex_lock(&spawn_mu);
	char c = 'S';
	if (write(spawn_fd, &c, 1) == 1) {
		struct msghdr m = { 0 };
		struct iovec iov = { .iov_base = &pid, .iov_len = sizeof(pid) };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		if (recvmsg(spawn_fd, &m, MSG_CMSG_CLOEXEC) == (ssize_t)sizeof(pid) && pid > 0) {
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
			if (cm && cm->cmsg_type == SCM_RIGHTS)
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		}
	}
	pthread_mutex_unlock(&spawn_mu);
	if (fd < 0) {
		*why = json_pack("{s:s,s:s}", "code", "no_worker", "message",
				 "cannot start a worker process");
		return -1;
	}
	int to;
	json_t *hello = read_answer(fd, timeout_ms, &to);
	if (!hello || json_integer_value(json_object_get(hello, "ready")) != 0) {
		json_t *e = json_object_get(hello, "error");
		*why = e ? json_incref(e)
			 : json_pack("{s:s,s:s}", "code", "no_worker", "message",
				     "a new worker process did not become ready");
		json_decref(hello);
		if (to)
			kill(pid, SIGKILL);
		close(fd);
		return -1;
	}
	json_decref(hello);
	w->pid = pid;
	w->fd = fd;
	return 0;
}

int pool_start(struct serve *s, int close_from, int close_n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		msg_err("serve: socketpair: %s", strerror(errno));
		return EXIT_FAIL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		msg_err("serve: fork: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < close_n; i++)
			close(close_from + i); /* systemd's listeners are the daemon's alone */
		spawner_main(s->a, sv[1]);
	}
	close(sv[1]);
	spawn_fd = sv[0];
	NW = s->nworkers;
	W = xcalloc((size_t)NW, sizeof(*W));
	for (int i = 0; i < NW; i++)
		W[i].fd = -1;
	/* the first worker now: a plugin that cannot open stops the daemon at start */
	json_t *why = NULL;
	if (spawn(&W[0], s->op_timeout_s * 1000, &why) < 0) {
		msg_err("serve: %s%s%s", json_string_value(json_object_get(why, "message")),
			json_object_get(why, "plugin") ? " (plugin " : "",
			json_object_get(why, "plugin") ? json_string_value(json_object_get(why, "plugin"))
						       : "");
		json_decref(why);
		return EXIT_FAIL;
	}
	for (int i = 1; i < NW; i++)
		if (spawn(&W[i], s->op_timeout_s * 1000, &why) < 0) {
			json_decref(why); /* tried again when a request needs it */
			why = NULL;
		}
	return 0;
}

static void worker_lost(struct worker *w, int kill_it)
{
	if (kill_it && w->pid > 0)
		kill(w->pid, SIGKILL);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->pid = 0;
}

enum pool_result pool_run(struct serve *s, json_t *req, int timeout_s, json_t **answer)
{
	*answer = NULL;
	struct worker *w = NULL;
	pthread_mutex_lock(&pool_mu);
	for (int pass = 0; pass < 2 && !w; pass++)
		for (int i = 0; i < NW && !w; i++)
			if (!W[i].busy && (pass == 1 || W[i].fd >= 0))
				w = &W[i];
	if (w)
		w->busy = 1;
	pthread_mutex_unlock(&pool_mu);
	if (!w)
		return POOL_BUSY;
	enum pool_result res = POOL_OK;
	if (w->fd < 0 && spawn(w, s->op_timeout_s * 1000, answer) < 0) {
		res = POOL_NO_WORKER;
		goto out;
	}
	if (send_line(w->fd, req) < 0) {
		worker_lost(w, 1);
		res = POOL_CRASHED;
		goto out;
	}
	int to;
	*answer = read_answer(w->fd, timeout_s * 1000, &to);
	if (!*answer) {
		worker_lost(w, to);
		res = to ? POOL_TIMEOUT : POOL_CRASHED;
	}
out:
	pthread_mutex_lock(&pool_mu);
	w->busy = 0;
	pthread_mutex_unlock(&pool_mu);
	return res;
}

void pool_counts(int *total, int *busy, int *alive)
{
	pthread_mutex_lock(&pool_mu);
	*total = NW;
	*busy = *alive = 0;
	for (int i = 0; i < NW; i++) {
		*busy += W[i].busy;
		*alive += W[i].fd >= 0;
	}
	pthread_mutex_unlock(&pool_mu);
}

void pool_stop(struct serve *s)
{
	(void)s;
	/* workers finish what they are doing, read EOF and exit; so does the spawner */
	pthread_mutex_lock(&pool_mu);
	for (int i = 0; i < NW; i++)
		if (W[i].fd >= 0 && !W[i].busy)
			worker_lost(&W[i], 0);
	pthread_mutex_unlock(&pool_mu);
	if (spawn_fd >= 0)
		close(spawn_fd);
	spawn_fd = -1;
}
