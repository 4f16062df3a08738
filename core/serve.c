/* `lia-core serve`: the VM API daemon.  Loads the configuration and the plugins once,
 * forks the worker pool (serve_workers.c) while still single-threaded, then serves HTTP/1.1
 * through libmicrohttpd on the listeners: a Unix socket (mode 0660, group api_group), TCP
 * with a bearer token (and TLS with api_tls_cert/api_tls_key), or the sockets systemd passes
 * (LISTEN_FDS).  SIGTERM/SIGINT: stop accepting, let operations in flight finish (within
 * api_op_timeout_s), exit 0.  VMs are separate processes and keep running. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmds.h"
#include "serve.h"
#include "util.h"

extern char **environ;
struct serve *g_serve;

#define MAX_LISTENERS 16
/* a burst of connections waits in the kernel's queue until accepted (then served, or
 * answered 503 past api_max_connections) instead of being refused at connect(); the
 * kernel caps it at net.core.somaxconn (4096 by default) */
#define LISTEN_BACKLOG 4096

struct listener {
	char *spec; /* "unix:/run/lia/api.sock", "tcp:127.0.0.1:8080", "systemd:3" */
	int fd;
	int tcp;
	int ours_path; /* a Unix socket path this process bound (removed at exit) */
	struct MHD_Daemon *d;
};

static char *read_small_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = xmalloc(max + 1);
	ssize_t n = read(fd, buf, max);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

/* the bearer token: a file of mode 0600 (nothing for group or others) owned by root */
static int load_token(struct serve *s, const char *path)
{
	struct stat st;
	if (!*path) {
		msg_err("serve: a TCP listener needs lia.api_token_file (a file of mode 0600 owned by root holding the token)");
		return EXIT_USAGE;
	}
	if (stat(path, &st) < 0) {
		msg_err("serve: lia.api_token_file %s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != 0) {
		msg_err("serve: lia.api_token_file %s must be a regular file of mode 0600 owned by root (it is mode %04o, owner %u)",
			path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		return EXIT_USAGE;
	}
	size_t len;
	char *t = read_small_file(path, 4096, &len);
	while (t && len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
		t[--len] = 0;
	if (!t || len < 16 || strlen(t) != len) {
		msg_err("serve: lia.api_token_file %s must hold a token of at least 16 characters", path);
		free(t);
		return EXIT_USAGE;
	}
	s->token = t;
	s->token_len = len;
	return 0;
}

/* the socket's group, created (groupadd --system) when missing and we are root */
static int socket_gid(const char *group, gid_t *gid)
{
	*gid = (gid_t)-1;
	if (!*group)
		return 0;
	for (const char *p = group; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-') ||
		    (p == group && *p == '-') || p - group > 31) {
			msg_err("serve: lia.api_group '%s' is not a group name", group);
			return EXIT_USAGE;
		}
	struct group *g = getgrnam(group);
	if (!g && geteuid() == 0) {
		char *argv[] = { (char *)"groupadd", (char *)"--system", (char *)group, NULL };
		pid_t pid;
		int status = -1;
		if (posix_spawnp(&pid, "groupadd", NULL, NULL, argv, environ) == 0)
			waitpid(pid, &status, 0);
		if (status == 0)
			msg_info("serve: created the group '%s' for the API socket", group);
		g = getgrnam(group);
	}
	if (!g) {
		msg_err("serve: the group '%s' of the API socket (lia.api_group) does not exist and cannot be created",
			group);
		return EXIT_FAIL;
	}
	*gid = g->gr_gid;
	return 0;
}

static int bind_unix(struct listener *l, const char *path, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		msg_err("serve: %s: a Unix socket path must be absolute and shorter than %zu bytes", l->spec,
			sizeof(sa.sun_path));
		return EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	if (*dir && mkdir_p(dir, 0755) < 0) {
		msg_err("serve: cannot create %s: %s", dir, strerror(errno));
		free(dir);
		return EXIT_FAIL;
	}
	free(dir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			msg_err("serve: %s exists and is not a socket", path);
			close(fd);
			return EXIT_FAIL;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			msg_err("serve: another daemon is listening on %s", path);
			close(fd);
			return EXIT_FAIL;
		}
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		unlink(path); /* left by a daemon that died */
	}
	/* created 0660 from the start: no moment where others could connect */
	mode_t old = umask(0117);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || chmod(path, 0660) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		msg_err("serve: cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	l->fd = fd;
	l->ours_path = 1;
	return 0;
}

static int bind_tcp(struct listener *l, const char *hostport)
{
	char *hp = xstrdup(hostport);
	char *colon = strrchr(hp, ':');
	if (!colon || colon == hp || !colon[1]) {
		msg_err("serve: %s: want tcp:HOST:PORT", l->spec);
		free(hp);
		return EXIT_USAGE;
	}
	*colon = 0;
	char *host = hp;
	if (*host == '[' && colon[-1] == ']') {
		host++;
		colon[-1] = 0;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res;
	int e = getaddrinfo(host, colon + 1, &hints, &res);
	if (e) {
		msg_err("serve: %s: %s", l->spec, gai_strerror(e));
		free(hp);
		return EXIT_USAGE;
	}
	free(hp);
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		msg_err("serve: cannot listen on %s: %s", l->spec, strerror(errno));
		freeaddrinfo(res);
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	freeaddrinfo(res);
	l->fd = fd;
	l->tcp = 1;
	return 0;
}

/* sockets passed by systemd (sd_listen_fds(3)): fds 3.. when LISTEN_PID is us */
static int listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	if (!pid || !n || strtol(pid, NULL, 10) != getpid())
		return 0;
	long k = strtol(n, NULL, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return k > 0 && k <= MAX_LISTENERS ? (int)k : 0;
}

static int sigwait_stop(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	return sig;
}

int cmd_serve(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = { { "listen", required_argument, NULL, 'l' },
					      { NULL, 0, NULL, 0 } };
	const char *specs[MAX_LISTENERS];
	int nspecs = 0, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'l' || nspecs == MAX_LISTENERS) {
			fprintf(stderr,
				"usage: lia-core serve [--listen unix:PATH | --listen tcp:HOST:PORT]...\n");
			return EXIT_USAGE;
		}
		specs[nspecs++] = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: lia-core serve [--listen unix:PATH | --listen tcp:HOST:PORT]...\n");
		return EXIT_USAGE;
	}
	notify_init();
	int rc = app_load(a);
	if (rc)
		return rc;
	char why[512];
	if (mhd_dl_open(why, sizeof(why)) < 0) {
		msg_err("serve: %s", why);
		return EXIT_FAIL;
	}
	static struct serve S;
	struct serve *s = &S;
	s->a = a;
	s->nworkers = (int)strtol(config_global(&a->cfg, "api_workers"), NULL, 10);
	s->op_timeout_s = (int)strtol(config_global(&a->cfg, "api_op_timeout_s"), NULL, 10);
	s->client_timeout_s = (int)strtol(config_global(&a->cfg, "api_client_timeout_s"), NULL, 10);
	unsigned maxconn = (unsigned)strtol(config_global(&a->cfg, "api_max_connections"), NULL, 10);
	conns_set_limit((int)maxconn);
	pthread_mutex_init(&s->mu, NULL);
	s->started_ms = now_ms();
	g_serve = s;

	/* the listeners: systemd's, else --listen, else lia.api_listen */
	struct listener L[MAX_LISTENERS];
	int nl = 0, activated = listen_fds();
	char *conf_specs = xstrdup(config_global(&a->cfg, "api_listen"));
	char *cert_pem = NULL, *key_pem = NULL;
	int pool_started = 0;
	if (activated) {
		for (int i = 0; i < activated; i++) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			L[nl] = (struct listener){ .fd = 3 + i, .spec = xasprintf("systemd:%d", 3 + i) };
			fcntl(3 + i, F_SETFD, FD_CLOEXEC);
			L[nl].tcp = getsockname(3 + i, (struct sockaddr *)&ss, &sl) == 0 &&
				    ss.ss_family != AF_UNIX;
			nl++;
		}
	} else {
		if (nspecs == 0)
			for (char *save = NULL, *t = strtok_r(conf_specs, ",", &save);
			     t && nspecs < MAX_LISTENERS; t = strtok_r(NULL, ",", &save))
				specs[nspecs++] = t + strspn(t, " ");
		for (int i = 0; i < nspecs; i++) {
			L[nl] = (struct listener){ .fd = -1, .spec = xstrdup(specs[i]) };
			if (strncmp(specs[i], "tcp:", 4) == 0)
				L[nl].tcp = 1;
			nl++;
			if (!L[nl - 1].tcp && strncmp(specs[i], "unix:", 5) != 0) {
				msg_err("serve: '%s' is not unix:PATH or tcp:HOST:PORT", specs[i]);
				rc = EXIT_USAGE;
				goto out;
			}
		}
	}
	if (nl == 0) {
		msg_err("serve: nothing to listen on (lia.api_listen is empty)");
		rc = EXIT_USAGE;
		goto out;
	}
	int any_tcp = 0;
	for (int i = 0; i < nl; i++)
		any_tcp |= L[i].tcp;
	if (any_tcp && (rc = load_token(s, config_global(&a->cfg, "api_token_file"))))
		goto out;
	const char *cert = config_global(&a->cfg, "api_tls_cert"),
		   *key = config_global(&a->cfg, "api_tls_key");
	if (!*cert != !*key) {
		msg_err("serve: lia.api_tls_cert and lia.api_tls_key go together");
		rc = EXIT_USAGE;
		goto out;
	}
	if (*cert) {
		size_t len;
		if (!(cert_pem = read_small_file(cert, 1 << 20, &len)) ||
		    !(key_pem = read_small_file(key, 1 << 20, &len))) {
			msg_err("serve: cannot read the TLS certificate %s or key %s: %s", cert, key,
				strerror(errno));
			rc = EXIT_FAIL;
			goto out;
		}
	}
	gid_t gid;
	if ((rc = socket_gid(config_global(&a->cfg, "api_group"), &gid)))
		goto out;

	/* the workers, before any thread and any socket of ours exists */
	if ((rc = pool_start(s, 3, activated)))
		goto out;
	pool_started = 1;

	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the threads inherit it; sigwait below */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	for (int i = 0; i < nl && !rc; i++) {
		struct listener *l = &L[i];
		if (l->fd < 0)
			rc = l->tcp ? bind_tcp(l, l->spec + 4) : bind_unix(l, l->spec + 5, gid);
		if (rc)
			break;
		unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				 MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
		int tls = l->tcp && cert_pem;
		if (tls)
			flags |= MHD_USE_TLS;
		l->d = sym_MHD_start_daemon(flags, 0, NULL, NULL, api_handler, l->tcp ? (void *)1 : NULL,
					    MHD_OPTION_LISTEN_SOCKET, l->fd, MHD_OPTION_NOTIFY_COMPLETED,
					    api_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, conn_notify,
					    NULL, MHD_OPTION_CONNECTION_LIMIT, maxconn * CONN_OVERFLOW,
					    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->client_timeout_s,
					    MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1 << 20),
					    tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
					    MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
		if (!l->d) {
			msg_err("serve: cannot serve on %s (libmicrohttpd refused%s)", l->spec,
				tls ? "; is the TLS certificate and key valid?" : "");
			rc = EXIT_FAIL;
			break;
		}
		fprintf(stderr, "lia-vm-api: listening on %s%s\n", l->spec,
			tls      ? " (TLS)"
			: l->tcp ? " (token)"
				 : "");
	}
	if (!rc) {
		conns_watch_start(s);
		notify_send("READY=1\nSTATUS=serving on %d listener%s\nMAINPID=%d", nl, nl > 1 ? "s" : "",
			    (int)getpid());
		int sig = sigwait_stop();
		fprintf(stderr, "lia-vm-api: %s: stopping (operations in flight may take up to %d s)\n",
			strsignal(sig), s->op_timeout_s);
		notify_send("STOPPING=1\nSTATUS=stopping: waiting for the operations in flight");
		s->stopping = 1;
		for (int i = 0; i < nl; i++)
			if (L[i].d) {
				MHD_socket fd = sym_MHD_quiesce_daemon(L[i].d);
				if (fd != MHD_INVALID_SOCKET)
					close(fd);
				L[i].fd = -1;
			}
		double until = now_ms() + s->op_timeout_s * 1000.0;
		for (;;) {
			pthread_mutex_lock(&s->mu);
			int n = s->in_flight;
			pthread_mutex_unlock(&s->mu);
			if (n == 0 || now_ms() > until)
				break;
			usleep(50 * 1000);
		}
		/* event streams send what the log holds up to now, then end (a client that does
		 * not read gets 2 s); MHD_stop_daemon would cut them off mid-way */
		until = now_ms() + 2000;
		while (events_streams_open() > 0 && now_ms() < until)
			usleep(20 * 1000);
	}
out:
	for (int i = 0; i < nl; i++) {
		if (L[i].d)
			sym_MHD_stop_daemon(L[i].d);
		if (L[i].fd >= 0)
			close(L[i].fd);
		if (L[i].ours_path)
			unlink(L[i].spec + 5);
		free(L[i].spec);
	}
	conns_watch_stop();
	if (pool_started)
		pool_stop(s);
	free(conf_specs);
	free(cert_pem);
	free(key_pem);
	free(s->token);
	if (!rc)
		fprintf(stderr, "lia-vm-api: stopped\n");
	return rc;
}
