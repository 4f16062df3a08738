/* Loading what every command needs: configuration, state, plugins. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "run.h"
#include "state_dir_check.h"
#include "util.h"

static int resolve_facts(struct app *a);

/* Configuration and state: what every command needs.  Once per process. */
int app_load_state(struct app *a)
{
	if (a->cfg_loaded)
		return a->load_rc;
	a->cfg_loaded = 1;
	a->load_rc = config_load(&a->cfg, a->config_path);
	if (a->load_rc == 0) { /* lia.state_dir is checked as an absolute path with the other settings */
		state_init(&a->st, config_global(&a->cfg, "state_dir"));
		a->load_rc = state_dir_check(a->st.dir); /* no folder others could change */
	}
	return a->load_rc;
}

/* ... and the plugins, for a command that runs their hooks or needs their settings
 * checked; `vm list` and `vm show` read records only and never map a plugin's libraries.
 * Once per process (vm start A B C loads once). */
int app_load(struct app *a)
{
	int rc = app_load_state(a);
	if (rc || a->plugins_loaded)
		return rc ? rc : a->plugins_rc;
	a->plugins_loaded = 1;
	rc = loader_load_all(&a->cfg, &a->plugins, &a->nplugins);
	if (rc == 0)
		rc = resolve_facts(a);
	if (rc == 0)
		rc = app_check_plugins(a);
	a->plugins_rc = rc;
	return rc;
}

/* Each enabled plugin's facts, from its settings; one publisher per fact. */
static int resolve_facts(struct app *a)
{
	int bad = 0;
	for (size_t i = 0; i < a->nplugins; i++) {
		struct loaded_plugin *lp = &a->plugins[i];
		for (size_t k = 0; k < lp->nfacts; k++) {
			const struct lia_fact *f = &lp->desc->facts[k];
			const struct cfg_value *v = block_value(lp->block, f->setting);
			if (!v) {
				msg_err("%s: plugin '%s' publishes fact '%s' from setting '%s', which it does not declare",
					lp->file, lp->desc->name, f->name, f->setting);
				bad++;
				continue;
			}
			for (size_t j = 0; j < a->nfacts; j++)
				if (strcmp(a->facts[j].name, f->name) == 0) {
					msg_err("plugins '%s' and '%s' both publish fact '%s': disable one of them",
						a->facts[j].lp->desc->name, lp->desc->name, f->name);
					bad++;
				}
			a->facts = realloc(a->facts, (a->nfacts + 1) * sizeof(*a->facts));
			if (!a->facts)
				abort();
			struct fact_value *fv = &a->facts[a->nfacts++];
			fv->name = f->name;
			fv->value = v->str;
			fv->lp = lp;
			if (v->is_set)
				fv->where = xasprintf("%s:%d (%s.%s)", v->file, v->line, lp->desc->name,
						      f->setting);
			else
				fv->where = xasprintf("%s:%d (%s.%s, default)", lp->block->file,
						      lp->block->line, lp->desc->name, f->setting);
		}
	}
	return bad ? EXIT_USAGE : 0;
}

void app_free(struct app *a)
{
	plan_flush(a); /* the plugins' deferred work, before close() */
	loader_unload_all(a->plugins, a->nplugins);
	a->plugins = NULL;
	a->nplugins = 0;
	if (a->cfg_loaded) {
		config_free(&a->cfg);
		state_free(&a->st);
	}
	json_decref(a->report);
	for (size_t i = 0; i < a->nfacts; i++)
		free(a->facts[i].where);
	free(a->facts);
	a->facts = NULL;
	a->nfacts = 0;
}

void app_fail(struct app *a, const char *code, const char *plugin, const char *phase, const char *fmt, ...)
{
	if (a->fail.code[0])
		return;
	snprintf(a->fail.code, sizeof(a->fail.code), "%s", code);
	snprintf(a->fail.plugin, sizeof(a->fail.plugin), "%s", plugin ? plugin : "");
	snprintf(a->fail.phase, sizeof(a->fail.phase), "%s", phase ? phase : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->fail.message, sizeof(a->fail.message), fmt, ap);
	va_end(ap);
}

void app_fail_clear(struct app *a)
{
	memset(&a->fail, 0, sizeof(a->fail));
}
