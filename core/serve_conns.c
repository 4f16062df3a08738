/* Connections beyond lia.api_max_connections are answered 503 with Retry-After (and closed),
 * not dropped: libmicrohttpd's own limit is set higher (CONN_OVERFLOW times), and a
 * connection counted past ours is marked "over" when it starts; its request gets the 503.
 *
 * A deadline for request headers (slow clients, "slowloris"): libmicrohttpd closes a
 * connection that stays idle, but not one that trickles a byte now and then.  Every
 * connection is listed here from its start; one that has not delivered a whole request
 * head within api_client_timeout_s is shut down by a watchdog thread (shutdown(2) only:
 * the library still closes the socket itself, after telling us, so the fd stays ours to
 * shut down while it is listed). */
#include "config.h"
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve.h"
#include "util.h"

struct conn {
	struct conn *next, **pprev;
	int fd;
	int in_request; /* a request head arrived; waiting for the next one otherwise */
	int over;       /* started beyond api_max_connections: answered 503 */
	double since;
};

static struct conn *conns;
static pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t watchdog;
static int watchdog_running;
static volatile int watchdog_stop;
static int cut_off; /* connections shut down, for the log */
static int live, soft_limit;

void conns_set_limit(int max_connections)
{
	soft_limit = max_connections;
}

int conns_limit(void)
{
	return soft_limit;
}

void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		 enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn *k = xcalloc(1, sizeof(*k));
		const union MHD_ConnectionInfo *ci =
			sym_MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		k->fd = ci ? ci->connect_fd : -1;
		k->since = now_ms();
		pthread_mutex_lock(&cmu);
		k->over = ++live > soft_limit;
		k->next = conns;
		k->pprev = &conns;
		if (conns)
			conns->pprev = &k->next;
		conns = k;
		pthread_mutex_unlock(&cmu);
		*socket_context = k;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		struct conn *k = *socket_context;
		pthread_mutex_lock(&cmu);
		live--;
		*k->pprev = k->next;
		if (k->next)
			k->next->pprev = k->pprev;
		pthread_mutex_unlock(&cmu);
		free(k);
		*socket_context = NULL;
	}
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		sym_MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

int conn_over(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	return k && k->over;
}

void conn_request(struct MHD_Connection *c, int started)
{
	struct conn *k = conn_of(c);
	if (!k)
		return;
	pthread_mutex_lock(&cmu);
	k->in_request = started;
	k->since = now_ms();
	pthread_mutex_unlock(&cmu);
}

static void *watch(void *arg)
{
	struct serve *s = arg;
	while (!watchdog_stop) {
		usleep(250 * 1000);
		double now = now_ms();
		pthread_mutex_lock(&cmu);
		for (struct conn *k = conns; k; k = k->next)
			if (!k->in_request && k->fd >= 0 && now - k->since > s->client_timeout_s * 1000.0) {
				shutdown(k->fd, SHUT_RDWR);
				k->fd = -1;
				cut_off++;
			}
		pthread_mutex_unlock(&cmu);
	}
	return NULL;
}

void conns_watch_start(struct serve *s)
{
	watchdog_running = pthread_create(&watchdog, NULL, watch, s) == 0;
}

void conns_watch_stop(void)
{
	watchdog_stop = 1;
	if (watchdog_running)
		pthread_join(watchdog, NULL);
	watchdog_running = 0;
}
