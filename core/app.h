/* The process-wide state of one lia-core invocation, and the per-hook context. */
#ifndef LIA_CORE_APP_H
#define LIA_CORE_APP_H
#include <jansson.h>
#include <lia/plugin.h>
#include "conf.h"
#include "loader.h"
#include "state.h"

/* Why the last operation failed, for callers that answer with data (the API daemon):
 * an error code ("vm_exists", "plugin_failed"...), and the plugin and phase that failed. */
struct op_failure {
	char code[32];
	char plugin[64];
	char phase[32];
	char message[1024];
};

struct app {
	const char *config_path;
	int json;
	int dry_run;
	struct lia_config cfg;
	int cfg_loaded;
	int load_rc; /* of the configuration (app_load_state) */
	int plugins_loaded;
	int plugins_rc; /* of the plugins (app_load) */
	struct loaded_plugin *plugins;
	size_t nplugins;
	int opened;
	struct state st;
	json_t *report; /* --json: steps run, notes */
	int cfg_errors; /* configuration errors reported through cfg_error */
	int open_rc;
	struct fact_value *facts;
	size_t nfacts;
	struct op_failure fail; /* the first failure of the current operation */
};

/* a fact a plugin publishes (struct lia_fact), resolved to its setting's value */
struct fact_value {
	const char *name;
	const char *value;
	char *where; /* "FILE:LINE (plugin.setting)" */
	struct loaded_plugin *lp;
};

struct core_ctx {
	struct lia_ctx pub; /* must stay first: plugins see only this */
	struct app *app;
	struct loaded_plugin *lp; /* NULL for the core's own work */
	const char *pipeline;
	lia_phase_t phase;
	struct vm_record *vm;
	int force;
	int errcode;
	char err[1024];
	json_t *notes; /* notes of this step (array) */
	char scratch[64];
	char where[512];
	/* progress */
	char prog_what[64];
	double prog_start, prog_last;
};

extern const struct lia_host lia_host_services;

void ctx_init(struct core_ctx *c, struct app *a, struct loaded_plugin *lp, const char *pipeline,
	      lia_phase_t phase, struct vm_record *vm);
void ctx_fini(struct core_ctx *c);
static inline struct core_ctx *CC(struct lia_ctx *ctx)
{
	return (struct core_ctx *)ctx;
}

/* set an error from the core's side (printf-style), returns code */
int core_error(struct core_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* record the first failure of an operation (later ones are consequences); plugin and
 * phase may be NULL */
void app_fail(struct app *a, const char *code, const char *plugin, const char *phase, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void app_fail_clear(struct app *a);

/* every plugin's check() across its settings: 0 or EXIT_USAGE */
int app_check_plugins(struct app *a);
/* open every plugin (open()), once; returns 0, EXIT_FAIL after printing the error, or
 * EXIT_USAGE when a plugin reported a configuration error */
int app_open_plugins(struct app *a);

#endif
