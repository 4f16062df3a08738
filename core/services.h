/* The services of struct lia_host, one file per group; services.c assembles the table.
 * Internal to lia-core. */
#ifndef LIA_CORE_SERVICES_H
#define LIA_CORE_SERVICES_H
#include <stdarg.h>
#include "app.h"

const char *ctx_who(struct core_ctx *c); /* plugin name, or "core" */

/* svc_log.c */
void svc_log(struct lia_ctx *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int svc_error(struct lia_ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void svc_note(struct lia_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* progress.c */
void svc_progress(struct lia_ctx *ctx, const char *what, uint64_t done, uint64_t total);
/* svc_config.c */
const char *svc_pipeline(struct lia_ctx *ctx);
lia_phase_t svc_phase(struct lia_ctx *ctx);
int svc_dry_run(struct lia_ctx *ctx);
int svc_quiet(struct lia_ctx *ctx);
const char *svc_state_dir(struct lia_ctx *ctx);
int svc_path(struct lia_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *svc_global(struct lia_ctx *ctx, const char *key);
const char *svc_cfg_str(struct lia_ctx *ctx, const char *key);
int64_t svc_cfg_int(struct lia_ctx *ctx, const char *key);
int svc_cfg_bool(struct lia_ctx *ctx, const char *key);
size_t svc_cfg_strings(struct lia_ctx *ctx, const char *key, const char *const **items);
int svc_cfg_is_set(struct lia_ctx *ctx, const char *key);
int svc_cfg_error(struct lia_ctx *ctx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *svc_cfg_where(struct lia_ctx *ctx, const char *key);
const char *svc_fact(struct lia_ctx *ctx, const char *name);
const char *svc_fact_where(struct lia_ctx *ctx, const char *name);
/* svc_record.c */
const char *svc_vm_name(struct lia_ctx *ctx);
const char *svc_vm_get(struct lia_ctx *ctx, const char *key);
int64_t svc_vm_get_int(struct lia_ctx *ctx, const char *key, int64_t dflt);
int svc_vm_set(struct lia_ctx *ctx, const char *key, const char *value);
int svc_vm_set_int(struct lia_ctx *ctx, const char *key, int64_t value);
int svc_vm_force(struct lia_ctx *ctx);
int svc_ledger_add(struct lia_ctx *ctx, const char *kind, const char *id);
int svc_ledger_del(struct lia_ctx *ctx, const char *kind, const char *id);
int svc_ledger_owned(struct lia_ctx *ctx, const char *kind, const char *id);
int svc_lease_take(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out);
int svc_lease_get(struct lia_ctx *ctx, const char *kind, uint64_t *out);
int svc_lease_release(struct lia_ctx *ctx, const char *kind);
int svc_lease_peek(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out);
/* svc_memo.c */
const char *svc_memo_get(struct lia_ctx *ctx, const char *key);
int svc_memo_set(struct lia_ctx *ctx, const char *key, const char *value);
#include "svc_helpers.h" /* run, download, mkdirs, sha256_file, proc_start_time, pid_alive */

#endif
