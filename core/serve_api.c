/* The requests of lia-core serve: routes, bodies, the bearer token, the one error shape
 * {"error":{"code","message","plugin","phase"}}, and one log line per request.
 * Reads (list, show, console, host, metrics) are answered here from the records; VM
 * operations go to a worker process (serve_workers.c). */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmds.h"
#include "serve.h"
#include "util.h"
#include "vm_ops.h"

struct req {
	char *body;
	size_t len;
	int too_big;
	int answered; /* a response was queued before the body was read */
	int refuse;   /* 401, 413 or 503, answered once the body is read (and thrown away) */
	int close;    /* answered before the body: "Connection: close" */
	size_t discarded;
	double t0;
	int status;
	char method[12];
	char *url;
};

/* ---- answers ------------------------------------------------------------------------------ */

static enum MHD_Result queue(struct MHD_Connection *c, struct req *r, int status, struct MHD_Response *resp)
{
	r->status = status;
	metrics_request(status);
	if (r->close)
		sym_MHD_add_response_header(resp, "Connection", "close");
	enum MHD_Result ret = sym_MHD_queue_response(c, (unsigned)status, resp);
	sym_MHD_destroy_response(resp);
	return ret;
}

/* j is taken; NULL: no body (204) */
static enum MHD_Result reply_json(struct MHD_Connection *c, struct req *r, int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	size_t len = text ? strlen(text) : 0;
	if (text) {
		text = realloc(text, len + 2);
		text[len++] = '\n';
		text[len] = 0;
	}
	struct MHD_Response *resp = sym_MHD_create_response_from_buffer(
		len, text ? text : (char *)"", text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (text)
		sym_MHD_add_response_header(resp, "Content-Type", "application/json");
	if (status == 503)
		sym_MHD_add_response_header(resp, "Retry-After", "1");
	if (status == 401)
		sym_MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"lia\"");
	return queue(c, r, status, resp);
}

/* err is {"code","message",["plugin","phase"]}, taken */
static enum MHD_Result reply_err_json(struct MHD_Connection *c, struct req *r, int status, json_t *err)
{
	json_t *e = json_pack(
		"{s:o?,s:o?,s:o,s:o}", "code", json_incref(json_object_get(err, "code")), "message",
		json_incref(json_object_get(err, "message")), "plugin",
		json_object_get(err, "plugin") ? json_incref(json_object_get(err, "plugin")) : json_null(),
		"phase",
		json_object_get(err, "phase") ? json_incref(json_object_get(err, "phase")) : json_null());
	json_decref(err);
	return reply_json(c, r, status, json_pack("{s:o}", "error", e));
}

static enum MHD_Result reply_err(struct MHD_Connection *c, struct req *r, int status, const char *code,
				 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result reply_err(struct MHD_Connection *c, struct req *r, int status, const char *code,
				 const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_err_json(c, r, status, json_pack("{s:s,s:s}", "code", code, "message", msg));
}

static enum MHD_Result reply_405(struct MHD_Connection *c, struct req *r, const char *allow)
{
	json_t *e = json_pack("{s:{s:s,s:s,s:n,s:n}}", "error", "code", "method_not_allowed", "message",
			      "this path does not take that method", "plugin", "phase");
	char *text = json_dumps(e, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(e);
	struct MHD_Response *resp =
		sym_MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	sym_MHD_add_response_header(resp, "Content-Type", "application/json");
	sym_MHD_add_response_header(resp, "Allow", allow);
	return queue(c, r, 405, resp);
}

/* ---- the bearer token (TCP listeners) --------------------------------------------------------- */

/* constant time in the length of the configured token: every byte is looked at */
static int token_ok(const char *header)
{
	struct serve *s = g_serve;
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return 0;
	const char *got = header + 7;
	size_t glen = strlen(got);
	unsigned diff = glen != s->token_len;
	for (size_t i = 0; i < s->token_len; i++)
		diff |= (unsigned char)s->token[i] ^ (unsigned char)(i < glen ? got[i] : 0);
	return diff == 0;
}

/* ---- bodies -------------------------------------------------------------------------------- */

/* the body as a JSON object: NULL after answering 400/413/415 */
static json_t *body_object(struct MHD_Connection *c, struct req *r, int required, enum MHD_Result *ret)
{
	if (r->too_big) {
		*ret = reply_err(c, r, 413, "body_too_large", "the body is over %d bytes", API_MAX_BODY);
		return NULL;
	}
	if (r->len == 0 && !required)
		return json_object();
	const char *ct = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if (r->len > 0 && (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
			   (ct[16] && ct[16] != ';' && ct[16] != ' '))) {
		*ret = reply_err(c, r, 415, "unsupported_media_type",
				 "the body must be application/json, not %s", ct ? ct : "untyped");
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		*ret = reply_err(c, r, 400, "bad_json", "the body is not JSON: %s (line %d, column %d)",
				 je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*ret = reply_err(c, r, 400, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* every key of obj is one of allowed ("a|b|c"); else answers 400 naming it */
static int only_fields(struct MHD_Connection *c, struct req *r, json_t *obj, const char *const *allowed,
		       enum MHD_Result *ret)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		int found = 0;
		for (const char *const *a = allowed; *a && !found; a++)
			found = strcmp(*a, k) == 0;
		if (!found) {
			char shown[72];
			snprintf(shown, sizeof(shown), "%s", k);
			for (char *p = shown; *p; p++)
				if (!isprint((unsigned char)*p))
					*p = '?';
			*ret = reply_err(c, r, 400, "unknown_field", "unknown field '%s'", shown);
			return -1;
		}
	}
	return 0;
}

/* an optional integer field in [lo, hi]; 0 when absent */
static int int_field(struct MHD_Connection *c, struct req *r, json_t *obj, const char *key, int64_t lo,
		     int64_t hi, int64_t *out, enum MHD_Result *ret)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		*ret = reply_err(c, r, 400, "bad_value", "%s must be a whole number from %lld to %lld", key,
				 (long long)lo, (long long)hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* OpenSSH public key lines: "TYPE BASE64 [COMMENT]", at most 8 lines and 8 KiB */
static const char *ssh_keys_problem(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 8192)
		return "ssh_keys must hold 1 to 8192 bytes";
	int lines = 0;
	const char *p = t;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 0) {
			if (++lines > 8)
				return "ssh_keys holds more than 8 keys";
			size_t i = 0;
			while (i < len && (isalnum((unsigned char)p[i]) || strchr("@.-_", p[i])))
				i++;
			if (i == 0 || i >= len || p[i] != ' ')
				return "ssh_keys: each line must be an OpenSSH public key (TYPE BASE64 [COMMENT])";
			size_t b = ++i;
			while (i < len && (isalnum((unsigned char)p[i]) || strchr("+/=", p[i])))
				i++;
			if (i == b || (i < len && p[i] != ' '))
				return "ssh_keys: each line must be an OpenSSH public key (TYPE BASE64 [COMMENT])";
			for (; i < len; i++)
				if (!isprint((unsigned char)p[i]))
					return "ssh_keys holds a control character";
		}
		p += len + (e ? 1 : 0);
	}
	return lines ? NULL : "ssh_keys holds no key";
}

/* ---- VM operations --------------------------------------------------------------------------- */

static int status_of(const char *code)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{ "bad_name", 400 },    { "bad_request", 400 }, { "no_such_vm", 404 }, { "vm_exists", 409 },
		{ "wrong_state", 409 }, { "vm_running", 409 },  { "timeout", 504 },    { NULL, 0 },
	};
	for (int i = 0; map[i].code; i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].status;
	return 500;
}

/* run req in a worker; 0 when it succeeded, else answered */
static int run_op(struct MHD_Connection *c, struct req *r, json_t *req, enum MHD_Result *ret)
{
	struct serve *s = g_serve;
	const char *kind = json_string_value(json_object_get(req, "op"));
	/* a stop's timeout_s is the VMM's graceful wait (serve_workers.c): the rest of the
	 * operation keeps its own bound on top of it */
	int timeout = s->op_timeout_s;
	if (json_integer_value(json_object_get(req, "timeout_s")) > 0)
		timeout += (int)json_integer_value(json_object_get(req, "timeout_s"));
	pthread_mutex_lock(&s->mu);
	s->in_flight++;
	pthread_mutex_unlock(&s->mu);
	double t0 = now_ms();
	json_t *ans = NULL;
	enum pool_result pr = pool_run(s, req, timeout, &ans);
	int rc = -1;
	if (pr == POOL_OK)
		rc = (int)json_integer_value(json_object_get(ans, "rc"));
	if (pr != POOL_BUSY)
		metrics_op(kind, rc == 0, (now_ms() - t0) / 1000.0);
	if (pr == POOL_CRASHED || pr == POOL_TIMEOUT) {
		/* the worker died (or was killed) in the middle: gc finishes or undoes its work now */
		json_t *gc = json_pack("{s:s}", "op", "gc"), *gans = NULL;
		enum pool_result gr = pool_run(s, gc, s->op_timeout_s, &gans);
		int undone = gr == POOL_OK && json_integer_value(json_object_get(gans, "rc")) == 0;
		json_decref(gc);
		json_decref(gans);
		const char *name = json_string_value(json_object_get(req, "name"));
		const char *after = undone ? "; gc finished or undid its work" : "; run `lia-core gc`";
		if (pr == POOL_TIMEOUT)
			*ret = reply_err(c, r, 504, "timeout",
					 "the %s of VM '%s' did not finish in %d s; its worker was killed%s",
					 kind, name, timeout, after);
		else
			*ret = reply_err(c, r, 500, "worker_crashed",
					 "the worker running the %s of VM '%s' died%s", kind, name, after);
	} else if (pr == POOL_BUSY) {
		*ret = reply_err(c, r, 503, "busy", "all %d workers are busy; try again", s->nworkers);
	} else if (pr == POOL_NO_WORKER) {
		*ret = reply_err_json(c, r, 503, ans);
		ans = NULL;
	} else if (rc != 0) {
		json_t *e = json_incref(json_object_get(ans, "error"));
		*ret = reply_err_json(c, r, status_of(json_string_value(json_object_get(e, "code"))), e);
	}
	json_decref(ans);
	pthread_mutex_lock(&s->mu);
	s->in_flight--;
	pthread_mutex_unlock(&s->mu);
	return pr == POOL_OK && rc == 0 ? 0 : -1;
}

/* the VM's view after an operation */
static enum MHD_Result reply_vm(struct MHD_Connection *c, struct req *r, int status, const char *name)
{
	struct vm_record *rec;
	int e = record_open(&g_serve->a->st, name, 0, 0, &rec);
	if (e == -ENOENT || e == -EINVAL)
		return reply_err(c, r, 404, "no_such_vm", "no VM named '%s'", name);
	if (e < 0)
		return reply_err(c, r, 500, "record_error", "cannot read the record of VM '%s': %s", name,
				 strerror(-e));
	json_t *j = vm_detail(rec);
	record_close(rec);
	if (status == 201) {
		char *loc = xasprintf("/v1/vms/%s", name);
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(j);
		struct MHD_Response *resp =
			sym_MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		sym_MHD_add_response_header(resp, "Content-Type", "application/json");
		sym_MHD_add_response_header(resp, "Location", loc);
		free(loc);
		return queue(c, r, 201, resp);
	}
	return reply_json(c, r, status, j);
}

static enum MHD_Result vm_create(struct MHD_Connection *c, struct req *r)
{
	enum MHD_Result ret = MHD_NO;
	json_t *b = body_object(c, r, 1, &ret);
	if (!b)
		return ret;
	static const char *const allowed[] = { "name", "vcpus", "mem_mib", "volume_mib", "ssh_keys", NULL };
	int64_t vcpus, mem, vol;
	json_t *name = json_object_get(b, "name"), *keys = json_object_get(b, "ssh_keys");
	if (only_fields(c, r, b, allowed, &ret) || int_field(c, r, b, "vcpus", 1, 256, &vcpus, &ret) ||
	    int_field(c, r, b, "mem_mib", 32, 1 << 22, &mem, &ret) ||
	    int_field(c, r, b, "volume_mib", 1, 1 << 24, &vol, &ret))
		goto out;
	if (!json_is_string(name) || !vm_name_valid(json_string_value(name))) {
		ret = reply_err(c, r, 400, "bad_name", "name must be 1-32 characters of a-z, 0-9 and '-'");
		goto out;
	}
	if (keys && (!json_is_string(keys) || ssh_keys_problem(json_string_value(keys)))) {
		ret = reply_err(c, r, 400, "bad_value", "%s",
				json_is_string(keys) ? ssh_keys_problem(json_string_value(keys))
						     : "ssh_keys must be text");
		goto out;
	}
	json_t *req = json_pack("{s:s,s:O,s:I,s:I,s:I}", "op", "create", "name", name, "vcpus",
				(json_int_t)vcpus, "mem_mib", (json_int_t)mem, "volume_mib", (json_int_t)vol);
	if (keys)
		json_object_set(req, "ssh_keys", keys);
	if (run_op(c, r, req, &ret) == 0)
		ret = reply_vm(c, r, 201, json_string_value(name));
	json_decref(req);
out:
	json_decref(b);
	return ret;
}

static enum MHD_Result vm_action(struct MHD_Connection *c, struct req *r, const char *name,
				 const char *action)
{
	enum MHD_Result ret = MHD_NO;
	json_t *b = body_object(c, r, 0, &ret);
	if (!b)
		return ret;
	static const char *const stop_fields[] = { "force", "timeout_s", NULL };
	static const char *const none[] = { NULL };
	int is_stop = strcmp(action, "stop") == 0;
	int64_t timeout = 0;
	json_t *force = json_object_get(b, "force");
	if (only_fields(c, r, b, is_stop ? stop_fields : none, &ret) ||
	    int_field(c, r, b, "timeout_s", 1, 86400, &timeout, &ret))
		goto out;
	if (force && !json_is_boolean(force)) {
		ret = reply_err(c, r, 400, "bad_value", "force must be true or false");
		goto out;
	}
	json_t *req = json_pack("{s:s,s:s,s:b,s:I}", "op", action, "name", name, "force", json_is_true(force),
				"timeout_s", (json_int_t)timeout);
	if (run_op(c, r, req, &ret) == 0)
		ret = reply_vm(c, r, 200, name);
	json_decref(req);
out:
	json_decref(b);
	return ret;
}

static enum MHD_Result vm_delete(struct MHD_Connection *c, struct req *r, const char *name)
{
	const char *f = sym_MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force");
	if (f && strcmp(f, "true") != 0 && strcmp(f, "false") != 0)
		return reply_err(c, r, 400, "bad_value", "force must be true or false");
	if (r->len > 0)
		return reply_err(c, r, 400, "bad_request", "DELETE takes no body");
	enum MHD_Result ret = MHD_NO;
	json_t *req = json_pack("{s:s,s:s,s:b}", "op", "destroy", "name", name, "force",
				f && strcmp(f, "true") == 0);
	if (run_op(c, r, req, &ret) == 0)
		ret = reply_json(c, r, 204, NULL);
	json_decref(req);
	return ret;
}

static enum MHD_Result vm_get(struct MHD_Connection *c, struct req *r, const char *name)
{
	return reply_vm(c, r, 200, name);
}

/* the VMM's console log (state_dir/logs/NAME.console.log), its last `tail` lines */
static enum MHD_Result vm_console(struct MHD_Connection *c, struct req *r, const char *name)
{
	const char *t = sym_MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "tail");
	long tail = 100;
	if (t) {
		char *end;
		tail = strtol(t, &end, 10);
		if (!*t || *end || tail < 1 || tail > 10000)
			return reply_err(c, r, 400, "bad_value",
					 "tail must be a whole number from 1 to 10000");
	}
	struct vm_record *rec;
	if (record_open(&g_serve->a->st, name, 0, 0, &rec) < 0)
		return reply_err(c, r, 404, "no_such_vm", "no VM named '%s'", name);
	record_close(rec);
	char *path = xasprintf("%s/logs/%s.console.log", g_serve->a->st.dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	json_t *lines = json_array();
	if (fd >= 0) {
		/* the last 1 MiB at most */
		struct stat st;
		fstat(fd, &st);
		off_t from = st.st_size > (1 << 20) ? st.st_size - (1 << 20) : 0;
		size_t n = (size_t)(st.st_size - from);
		char *buf = xmalloc(n + 1);
		ssize_t got = pread(fd, buf, n, from);
		close(fd);
		buf[got > 0 ? got : 0] = 0;
		size_t len = got > 0 ? (size_t)got : 0;
		if (len && buf[len - 1] == '\n')
			buf[--len] = 0;
		long count = 0;
		char *start = buf + len;
		while (start > buf && count < tail) {
			char *p = start - 1;
			while (p > buf && p[-1] != '\n')
				p--;
			count++;
			start = p;
			if (p == buf)
				break;
		}
		for (char *p = start; p <= buf + len && *p;) {
			char *e = strchr(p, '\n');
			if (e)
				*e = 0;
			json_array_append_new(lines, json_stringn_nocheck(p, strlen(p)));
			if (!e)
				break;
			p = e + 1;
		}
		free(buf);
	}
	/* console text is not always UTF-8: jansson escapes what it can; invalid bytes become '?' */
	size_t i;
	json_t *v;
	json_array_foreach(lines, i, v)
	{
		if (!json_dumps(v, JSON_ENCODE_ANY)) {
			char *copy = xstrdup(json_string_value(v));
			for (char *p = copy; *p; p++)
				if ((unsigned char)*p >= 0x80)
					*p = '?';
			json_array_set_new(lines, i, json_string(copy));
			free(copy);
		}
	}
	return reply_json(c, r, 200, json_pack("{s:s,s:o}", "name", name, "lines", lines));
}

/* ---- routes ----------------------------------------------------------------------------------- */

static enum MHD_Result route(struct MHD_Connection *c, struct req *r, const char *url, const char *m)
{
	int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0, del = strcmp(m, "DELETE") == 0;
	if (strcmp(url, "/healthz") == 0) {
		if (!get)
			return reply_405(c, r, "GET");
		return reply_json(c, r, g_serve->stopping ? 503 : 200,
				  json_pack("{s:s}", "status", g_serve->stopping ? "stopping" : "ok"));
	}
	if (strcmp(url, "/metrics") == 0) {
		if (!get)
			return reply_405(c, r, "GET");
		char *text = metrics_text(g_serve);
		struct MHD_Response *resp =
			sym_MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		sym_MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
		return queue(c, r, 200, resp);
	}
	if (strcmp(url, "/v1/host") == 0) {
		if (!get)
			return reply_405(c, r, "GET");
		return reply_json(c, r, 200, host_json(g_serve));
	}
	if (strcmp(url, "/v1/events") == 0) {
		if (!get)
			return reply_405(c, r, "GET");
		const char *last = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
		if (!last)
			last = sym_MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
		if (last) {
			char *end;
			strtoull(last, &end, 10);
			if (!*last || *end)
				return reply_err(c, r, 400, "bad_value",
						 "Last-Event-ID must be an event id (a whole number)");
		}
		/* a stream is never idle-timed-out: it sends a comment every few seconds */
		sym_MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0);
		struct MHD_Response *resp = events_response(g_serve, last);
		return queue(c, r, 200, resp);
	}
	if (strcmp(url, "/v1/vms") == 0) {
		if (get)
			return reply_json(c, r, 200, vm_list_json(g_serve->a));
		if (post) {
			if (g_serve->stopping)
				return reply_err(c, r, 503, "stopping", "the daemon is stopping");
			return vm_create(c, r);
		}
		return reply_405(c, r, "GET, POST");
	}
	if (strncmp(url, "/v1/vms/", 8) == 0) {
		char name[64];
		const char *p = url + 8, *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			return reply_err(c, r, n ? 400 : 404, n ? "bad_name" : "not_found",
					 n ? "a VM name has 1-32 characters of a-z, 0-9 and '-'"
					   : "no such path");
		memcpy(name, p, n);
		name[n] = 0;
		const char *sub = slash ? slash + 1 : NULL;
		if (!vm_name_valid(name))
			return reply_err(c, r, 400, "bad_name",
					 "a VM name has 1-32 characters of a-z, 0-9 and '-'");
		if (sub && strcmp(sub, "start") && strcmp(sub, "stop") && strcmp(sub, "console"))
			return reply_err(c, r, 404, "not_found", "no such path");
		if (!sub) {
			if (get)
				return vm_get(c, r, name);
			if (del)
				return g_serve->stopping
					       ? reply_err(c, r, 503, "stopping", "the daemon is stopping")
					       : vm_delete(c, r, name);
			return reply_405(c, r, "GET, DELETE");
		}
		if (strcmp(sub, "console") == 0)
			return get ? vm_console(c, r, name) : reply_405(c, r, "GET");
		if (!post)
			return reply_405(c, r, "POST");
		if (g_serve->stopping)
			return reply_err(c, r, 503, "stopping", "the daemon is stopping");
		return vm_action(c, r, name, sub);
	}
	return reply_err(c, r, 404, "not_found", "no such path");
}

static enum MHD_Result refuse(struct MHD_Connection *c, struct req *r)
{
	if (r->refuse == 503)
		return reply_err(c, r, 503, "too_many_connections",
				 "more than %d connections are open (lia.api_max_connections); try again",
				 conns_limit());
	if (r->refuse == 401)
		return reply_err(c, r, 401, "unauthorized", "a valid bearer token is needed");
	return reply_err(c, r, 413, "body_too_large", "the body is over %d bytes", API_MAX_BODY);
}

enum MHD_Result api_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			    const char *version, const char *upload_data, size_t *upload_data_size,
			    void **con_cls)
{
	(void)version;
	int tcp = cls != NULL;
	struct req *r = *con_cls;
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->t0 = now_ms();
		snprintf(r->method, sizeof(r->method), "%s", method);
		r->url = xstrdup(url);
		*con_cls = r;
		conn_request(c, 1);
		/* a refusal (over the connection limit, no token, a body too large) is answered
		 * once the body is read and thrown away: answered now, while the client is still
		 * sending, the connection would be closed under it and the client would see a
		 * broken pipe, not the answer.  Answered at once: a client that waits for
		 * "100 Continue" (it sends no body until told), and bodies too large even to
		 * throw away. */
		const char *cl = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		const char *te = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
		const char *ex = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
		unsigned long long clen = cl ? strtoull(cl, NULL, 10) : 0;
		if (conn_over(c)) {
			r->refuse = 503;
			r->close = 1; /* the slot is freed at once */
		} else if (tcp &&
			   !token_ok(sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization")))
			r->refuse = 401;
		else if (clen > API_MAX_BODY)
			r->refuse = 413;
		int body_follows = clen > 0 || te;
		if (r->refuse && (!body_follows || (ex && strcasecmp(ex, "100-continue") == 0) ||
				  clen > API_DISCARD_MAX)) {
			r->answered = 1;
			r->close |= body_follows;
			return refuse(c, r);
		}
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (!r->refuse && !r->too_big && r->len + n <= API_MAX_BODY) {
			r->body = realloc(r->body, r->len + n + 1);
			if (!r->body)
				abort();
			memcpy(r->body + r->len, upload_data, n);
			r->len += n;
			return MHD_YES;
		}
		r->too_big = 1;
		r->discarded += n;
		/* a chunked body without end: past API_DISCARD_MAX the connection is closed */
		return r->discarded > API_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (r->refuse)
		return refuse(c, r);
	return route(c, r, url, method);
}

void api_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	struct req *r = *con_cls;
	if (!r)
		return;
	conn_request(c, 0); /* the next request head has api_client_timeout_s from now */
	/* one line per request, for the journal; the URL is shown without control characters */
	for (char *p = r->url; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "lia-vm-api: %s %s %d %.1f ms%s%s%s\n", r->method, r->url, r->status,
		now_ms() - r->t0, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (",
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK      ? ""
		: toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timed out"
								: "client gone",
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ")");
	free(r->body);
	free(r->url);
	free(r);
	*con_cls = NULL;
}
