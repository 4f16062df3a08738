/* GET /metrics (Prometheus text format 0.0.4) and GET /v1/host.  Counters live in this
 * process; VMs by state and leases are read from the records at each request. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "serve.h"
#include "util.h"
#include "vm_ops.h"

static const char *const KINDS[] = { "create", "start", "stop", "destroy", "gc", NULL };
static const double BUCKETS[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300 };
#define NB (sizeof(BUCKETS) / sizeof(BUCKETS[0]))
#define NK 5

static pthread_mutex_t mmu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ops[NK][2]; /* [kind][ok] */
static uint64_t hist[NK][NB + 1];
static double hsum[NK];
static uint64_t statuses[600];

static int kind_index(const char *k)
{
	for (int i = 0; k && KINDS[i]; i++)
		if (strcmp(KINDS[i], k) == 0)
			return i;
	return -1;
}

void metrics_op(const char *kind, int ok, double seconds)
{
	int k = kind_index(kind);
	if (k < 0)
		return;
	pthread_mutex_lock(&mmu);
	ops[k][ok ? 1 : 0]++;
	size_t b = 0;
	while (b < NB && seconds > BUCKETS[b])
		b++;
	hist[k][b]++;
	hsum[k] += seconds;
	pthread_mutex_unlock(&mmu);
}

void metrics_request(int status)
{
	if (status < 100 || status >= 600)
		return;
	pthread_mutex_lock(&mmu);
	statuses[status]++;
	pthread_mutex_unlock(&mmu);
}

struct buf {
	char *p;
	size_t len;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	b->p = realloc(b->p, b->len + (size_t)n + 1);
	memcpy(b->p + b->len, s, (size_t)n + 1);
	b->len += (size_t)n;
	free(s);
}

/* a bound of a pool: a whole number or a dotted IPv4 address (host order, as lease_take) */
static int pool_bound(const char *v, uint64_t *out)
{
	struct in_addr in;
	if (strchr(v, '.')) {
		if (inet_pton(AF_INET, v, &in) != 1)
			return -1;
		*out = ntohl(in.s_addr);
		return 0;
	}
	char *end;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !*v || *end || errno ? -1 : 0;
}

/* the lease pools the plugins publish (facts lease.KIND.first and lease.KIND.last):
 * {KIND: {"first": "...", "last": "...", "size": N}} */
static json_t *lease_pools(struct app *a)
{
	json_t *pools = json_object();
	for (size_t i = 0; i < a->nfacts; i++) {
		const char *n = a->facts[i].name, *dot;
		if (strncmp(n, "lease.", 6) != 0 || !(dot = strrchr(n + 6, '.')) || dot == n + 6 ||
		    strcmp(dot, ".first") != 0)
			continue;
		char *kind = xasprintf("%.*s", (int)(dot - (n + 6)), n + 6);
		char *lastname = xasprintf("lease.%s.last", kind);
		const char *last = NULL;
		for (size_t j = 0; j < a->nfacts; j++)
			if (strcmp(a->facts[j].name, lastname) == 0)
				last = a->facts[j].value;
		uint64_t lo, hi;
		if (last && a->facts[i].value && pool_bound(a->facts[i].value, &lo) == 0 &&
		    pool_bound(last, &hi) == 0 && lo <= hi)
			json_object_set_new(pools, kind,
					    json_pack("{s:s,s:s,s:I}", "first", a->facts[i].value, "last",
						      last, "size", (json_int_t)(hi - lo + 1)));
		free(lastname);
		free(kind);
	}
	return pools;
}

/* VMs by state, leases by kind, from the records; free: for each pool, its size less the
 * leases held inside it (a lease outside it, left from an older range, takes nothing) */
static void scan(struct app *a, json_t **by_state, json_t **leases, json_t **free_out)
{
	*by_state = json_object();
	*leases = json_object();
	json_t *pools = lease_pools(a), *inside = json_object();
	for (enum vm_state s = VM_CREATING; s <= VM_FAILED; s++)
		json_object_set_new(*by_state, vm_state_name(s), json_integer(0));
	char **names;
	size_t n;
	record_names(&a->st, &names, &n);
	for (size_t i = 0; i < n; i++) {
		struct vm_record *r;
		if (record_open(&a->st, names[i], 0, 0, &r) == 0) {
			const char *st = vm_effective_state(r);
			json_object_set_new(
				*by_state, st,
				json_integer(json_integer_value(json_object_get(*by_state, st)) + 1));
			size_t k;
			json_t *e;
			json_array_foreach(json_object_get(r->root, "ledger"), k, e)
			{
				const char *kind = json_string_value(json_object_get(e, "kind"));
				if (!kind || strncmp(kind, "lease:", 6) != 0)
					continue;
				kind += 6;
				json_object_set_new(
					*leases, kind,
					json_integer(json_integer_value(json_object_get(*leases, kind)) + 1));
				json_t *pool = json_object_get(pools, kind);
				const char *id = json_string_value(json_object_get(e, "id"));
				uint64_t v, lo, hi;
				if (pool && id && pool_bound(id, &v) == 0 &&
				    pool_bound(json_string_value(json_object_get(pool, "first")), &lo) == 0 &&
				    pool_bound(json_string_value(json_object_get(pool, "last")), &hi) == 0 &&
				    v >= lo && v <= hi)
					json_object_set_new(inside, kind,
							    json_integer(json_integer_value(json_object_get(
										 inside, kind)) +
									 1));
			}
			record_close(r);
		}
		free(names[i]);
	}
	free(names);
	*free_out = json_object();
	const char *kind;
	json_t *pool;
	json_object_foreach(pools, kind, pool)
		json_object_set_new(*free_out, kind,
				    json_integer(json_integer_value(json_object_get(pool, "size")) -
						 json_integer_value(json_object_get(inside, kind))));
	json_decref(inside);
	json_decref(pools);
}

char *metrics_text(struct serve *s)
{
	struct buf b = { 0 };
	json_t *by_state, *leases, *lfree;
	scan(s->a, &by_state, &leases, &lfree);
	const char *k;
	json_t *v;
	put(&b,
	    "# HELP lia_vms VMs by state (a running VM whose process died counts as stopped).\n# TYPE lia_vms gauge\n");
	json_object_foreach(by_state, k, v)
		put(&b, "lia_vms{state=\"%s\"} %lld\n", k, (long long)json_integer_value(v));
	put(&b,
	    "# HELP lia_leases Leases held by VMs, by kind (addresses, CIDs).\n# TYPE lia_leases gauge\n");
	json_object_foreach(leases, k, v)
		put(&b, "lia_leases{kind=\"%s\"} %lld\n", k, (long long)json_integer_value(v));
	put(&b,
	    "# HELP lia_leases_free Leases still free, by kind, in the pools the plugins publish.\n# TYPE lia_leases_free gauge\n");
	json_object_foreach(lfree, k, v)
		put(&b, "lia_leases_free{kind=\"%s\"} %lld\n", k, (long long)json_integer_value(v));
	json_decref(by_state);
	json_decref(leases);
	json_decref(lfree);
	int total, busy, alive;
	pool_counts(&total, &busy, &alive);
	pthread_mutex_lock(&s->mu);
	int inflight = s->in_flight;
	pthread_mutex_unlock(&s->mu);
	put(&b,
	    "# HELP lia_api_workers Worker processes: the bound on VM operations at once.\n# TYPE lia_api_workers gauge\n"
	    "lia_api_workers %d\n",
	    total);
	put(&b,
	    "# HELP lia_api_workers_busy Workers running an operation.\n# TYPE lia_api_workers_busy gauge\nlia_api_workers_busy %d\n",
	    busy);
	put(&b,
	    "# HELP lia_api_workers_alive Workers started and not dead.\n# TYPE lia_api_workers_alive gauge\nlia_api_workers_alive %d\n",
	    alive);
	put(&b,
	    "# HELP lia_api_operations_in_flight VM operations being run.\n# TYPE lia_api_operations_in_flight gauge\n"
	    "lia_api_operations_in_flight %d\n",
	    inflight);
	pthread_mutex_lock(&mmu);
	put(&b,
	    "# HELP lia_api_operations_total VM operations by kind and result.\n# TYPE lia_api_operations_total counter\n");
	for (int i = 0; i < NK; i++)
		put(&b,
		    "lia_api_operations_total{kind=\"%s\",result=\"ok\"} %llu\nlia_api_operations_total{kind=\"%s\",result=\"error\"} %llu\n",
		    KINDS[i], (unsigned long long)ops[i][1], KINDS[i], (unsigned long long)ops[i][0]);
	put(&b,
	    "# HELP lia_api_operation_seconds Duration of VM operations.\n# TYPE lia_api_operation_seconds histogram\n");
	for (int i = 0; i < NK; i++) {
		uint64_t cum = 0;
		for (size_t j = 0; j < NB; j++) {
			cum += hist[i][j];
			put(&b, "lia_api_operation_seconds_bucket{kind=\"%s\",le=\"%g\"} %llu\n", KINDS[i],
			    BUCKETS[j], (unsigned long long)cum);
		}
		cum += hist[i][NB];
		put(&b, "lia_api_operation_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n", KINDS[i],
		    (unsigned long long)cum);
		put(&b,
		    "lia_api_operation_seconds_sum{kind=\"%s\"} %.6f\nlia_api_operation_seconds_count{kind=\"%s\"} %llu\n",
		    KINDS[i], hsum[i], KINDS[i], (unsigned long long)cum);
	}
	put(&b,
	    "# HELP lia_api_requests_total HTTP requests by status code.\n# TYPE lia_api_requests_total counter\n");
	for (int i = 100; i < 600; i++)
		if (statuses[i])
			put(&b, "lia_api_requests_total{code=\"%d\"} %llu\n", i,
			    (unsigned long long)statuses[i]);
	pthread_mutex_unlock(&mmu);
	return b.p;
}

json_t *host_json(struct serve *s)
{
	struct app *a = s->a;
	json_t *plugins = json_array();
	for (size_t i = 0; i < a->nplugins; i++) {
		const struct lia_plugin *d = a->plugins[i].desc;
		char abi[16];
		snprintf(abi, sizeof(abi), "%u.%u", d->abi_major, d->abi_minor);
		json_array_append_new(plugins, json_pack("{s:s,s:s?,s:s,s:s?}", "name", d->name, "version",
							 d->version, "abi", abi, "role", d->provides));
	}
	json_t *by_state, *leases, *lfree;
	scan(a, &by_state, &leases, &lfree);
	int total, busy, alive;
	pool_counts(&total, &busy, &alive);
	char abi[16];
	snprintf(abi, sizeof(abi), "%d.%d", LIA_ABI_MAJOR, LIA_ABI_MINOR);
	return json_pack("{s:s,s:s,s:s,s:o,s:{s:o,s:o,s:o,s:o,s:{s:i,s:i}},s:f}", "version", PACKAGE_VERSION,
			 "abi", abi, "state_dir", a->st.dir, "plugins", plugins, "capacity", "vms", by_state,
			 "leases_in_use", leases, "leases_free", lfree, "lease_pools", lease_pools(a),
			 "workers", "total", total, "busy", busy, "uptime_s",
			 (now_ms() - s->started_ms) / 1000.0);
}
