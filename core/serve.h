/* lia-core serve: the VM API daemon (lia-vm-api(8), docs/api/openapi.yaml).
 *   serve.c          command line, listeners (unix, tcp, systemd's), TLS, signals
 *   serve_api.c      requests: routes, bodies, auth, the one error shape, the request log
 *   serve_workers.c  the bounded pool of worker processes that run the VM operations
 *   serve_events.c   GET /v1/events: Server-Sent Events from the event log (events.h)
 *   serve_metrics.c  GET /metrics and GET /v1/host
 *   serve_conns.c    the connection limit (503) and the request-head deadline
 *   serve_notify.c   readiness for systemd (sd_notify without libsystemd)
 *   mhd_dl.c         libmicrohttpd, opened by serve alone (dlopen) */
#ifndef LIA_CORE_SERVE_H
#define LIA_CORE_SERVE_H
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdint.h>
#include "app.h"
#include "mhd_dl.h"

#define API_MAX_BODY (64 * 1024)
/* a refused body up to this size is read and thrown away before the answer (serve_api.c) */
#define API_DISCARD_MAX (4 * 1024 * 1024)

struct serve {
	struct app *a;
	int nworkers;
	int op_timeout_s;
	int client_timeout_s;
	char *token; /* bearer token of TCP listeners */
	size_t token_len;
	volatile int stopping;
	pthread_mutex_t mu;
	int in_flight; /* VM operations being run */
	double started_ms;
};
extern struct serve *g_serve;

/* the pool (serve_workers.c) */
enum pool_result { POOL_OK = 0, POOL_BUSY, POOL_CRASHED, POOL_TIMEOUT, POOL_NO_WORKER };
/* fork the spawner (before any thread or listener exists) and the workers; 0 or an exit code */
int pool_start(struct serve *s, int close_from, int close_n);
/* run one request {"op":...} in a free worker: the worker's answer {"rc":N,"error":{...}} */
enum pool_result pool_run(struct serve *s, json_t *req, int timeout_s, json_t **answer);
void pool_stop(struct serve *s);
void pool_counts(int *total, int *busy, int *alive);

/* metrics (serve_metrics.c) */
void metrics_op(const char *kind, int ok, double seconds);
void metrics_request(int status);
char *metrics_text(struct serve *s);
json_t *host_json(struct serve *s);

/* events (serve_events.c): an MHD response streaming events after last_id */
struct MHD_Response *events_response(struct serve *s, const char *last_event_id);
/* streams not yet ended: at SIGTERM the daemon waits (a little) for them to send what the
 * log holds, so that no change made before the stop is lost to a connected client */
int events_streams_open(void);

/* the request handler (serve_api.c), one per MHD daemon; cls: 1 for TCP (token needed) */
enum MHD_Result api_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			    const char *version, const char *upload_data, size_t *upload_data_size,
			    void **con_cls);
void api_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);

/* the request-head deadline and the connection limit (serve_conns.c) */
#define CONN_OVERFLOW 4 /* libmicrohttpd's limit is api_max_connections times this */
void conns_set_limit(int max_connections);
int conns_limit(void);
int conn_over(struct MHD_Connection *c); /* started beyond the limit: answer 503 and close */
void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		 enum MHD_ConnectionNotificationCode toe);
void conn_request(struct MHD_Connection *c, int started); /* a request head arrived (1) or was answered (0) */
void conns_watch_start(struct serve *s);
void conns_watch_stop(void);

/* systemd's readiness protocol (serve_notify.c): notify_init takes $NOTIFY_SOCKET (and
 * removes it from the environment: the workers and the VMMs they start must not use it);
 * notify_send sends "READY=1", "STOPPING=1"... when it was set, and does nothing else */
void notify_init(void);
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
