/* The VM record, its ledger and leases, as plugins see them. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services.h"
#include "util.h"

const char *svc_vm_name(struct lia_ctx *ctx)
{
	return CC(ctx)->vm ? CC(ctx)->vm->name : NULL;
}

static json_t *vm_lookup(struct core_ctx *c, const char *key)
{
	if (!c->vm)
		return NULL;
	json_t *v = json_object_get(json_object_get(c->vm->root, "data"), key);
	if (!v && strcmp(key, "data") != 0 && strcmp(key, "ledger") != 0)
		v = json_object_get(c->vm->root, key);
	return v;
}

const char *svc_vm_get(struct lia_ctx *ctx, const char *key)
{
	struct core_ctx *c = CC(ctx);
	json_t *v = vm_lookup(c, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(c->scratch, sizeof(c->scratch), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return c->scratch;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

int64_t svc_vm_get_int(struct lia_ctx *ctx, const char *key, int64_t dflt)
{
	json_t *v = vm_lookup(CC(ctx), key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v)) {
		char *end;
		long long x = strtoll(json_string_value(v), &end, 10);
		return *end ? dflt : x;
	}
	return dflt;
}

static int core_key(const char *key)
{
	static const char *keys[] = { "name",  "state",      "ledger",     "data",
				      "owner", "created_at", "updated_at", NULL };
	for (int i = 0; keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	return 0;
}

int svc_vm_set(struct lia_ctx *ctx, const char *key, const char *value)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	if (core_key(key))
		return core_error(c, -EPERM, "'%s' is the core's key of the VM record", key);
	json_t *data = json_object_get(c->vm->root, "data"), *old = json_object_get(data, key);
	/* unchanged (a NULL for an absent key, the same text): no save, whose two fsyncs
	 * were a sixth of a VM start */
	if (value ? json_is_string(old) && !strcmp(json_string_value(old), value) : !old)
		return 0;
	if (value)
		json_object_set_new(data, key, json_string(value));
	else
		json_object_del(data, key);
	c->vm->dirty = 1;
	return 0;
}

int svc_vm_set_int(struct lia_ctx *ctx, const char *key, int64_t value)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	if (core_key(key))
		return core_error(c, -EPERM, "'%s' is the core's key of the VM record", key);
	json_t *data = json_object_get(c->vm->root, "data"), *old = json_object_get(data, key);
	if (json_is_integer(old) && json_integer_value(old) == value)
		return 0; /* unchanged: no save */
	json_object_set_new(data, key, json_integer(value));
	c->vm->dirty = 1;
	return 0;
}

int svc_ledger_add(struct lia_ctx *ctx, const char *kind, const char *id)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return core_error(c, -ENOENT, "no VM record to add '%s' %s to", kind, id);
	int e = ledger_add(c->vm, kind, id, ctx_who(c));
	if (e < 0)
		return core_error(c, e, "cannot write VM record %s: %s", c->vm->path, strerror(-e));
	return 0;
}

int svc_ledger_del(struct lia_ctx *ctx, const char *kind, const char *id)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	int e = ledger_del(c->vm, kind, id);
	if (e < 0)
		return core_error(c, e, "cannot write VM record %s: %s", c->vm->path, strerror(-e));
	return 0;
}

int svc_ledger_owned(struct lia_ctx *ctx, const char *kind, const char *id)
{
	struct core_ctx *c = CC(ctx);
	return ledger_owned(&c->app->st, c->vm, kind, id);
}

int svc_lease_take(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return core_error(c, -ENOENT, "a lease needs a VM");
	int e = lease_take(&c->app->st, c->vm, kind, lo, hi, out, ctx_who(c));
	if (e == -ENOSPC)
		return core_error(
			c, e,
			"the %s pool %" PRIu64 "..%" PRIu64
			" is exhausted: every value is leased to a VM (see `lia-core vm list`, `lia-core gc`)",
			kind, lo, hi);
	if (e < 0)
		return core_error(
			c, e,
			e == -EBADMSG
				? "cannot take a %s lease: a corrupt VM record (named above) may hold any value, so none is handed out; repair or remove that record"
				: "cannot take a %s lease: %s",
			kind, strerror(-e));
	return 0;
}

int svc_lease_get(struct lia_ctx *ctx, const char *kind, uint64_t *out)
{
	struct core_ctx *c = CC(ctx);
	return c->vm ? lease_get(c->vm, kind, out) : -ENOENT;
}

int svc_lease_release(struct lia_ctx *ctx, const char *kind)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	int e = lease_release(c->vm, kind);
	if (e < 0)
		return core_error(c, e, "cannot write VM record %s: %s", c->vm->path, strerror(-e));
	return 0;
}

int svc_vm_force(struct lia_ctx *ctx)
{
	return CC(ctx)->force;
}

int svc_lease_peek(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct core_ctx *c = CC(ctx);
	int e = lease_peek(&c->app->st, c->vm, kind, lo, hi, out);
	if (e == -ENOSPC)
		return core_error(
			c, e,
			"the %s pool %" PRIu64 "..%" PRIu64
			" is exhausted: every value is leased to a VM (see `lia-core vm list`, `lia-core gc`)",
			kind, lo, hi);
	if (e < 0)
		return core_error(c, e, "cannot look at the %s leases: %s", kind, strerror(-e));
	return 0;
}
