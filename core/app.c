/* Loading what every command needs: configuration, state, plugins. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "util.h"

static int app_load_once(struct app *a);

int app_load(struct app *a)
{
	if (a->cfg_loaded)
		return a->load_rc; /* once per process (vm start A B C loads once) */
	a->load_rc = app_load_once(a);
	return a->load_rc;
}

static int app_load_once(struct app *a)
{
	int rc = config_load(&a->cfg, a->config_path);
	a->cfg_loaded = 1;
	if (rc)
		return rc;
	const char *sd = config_global(&a->cfg, "state_dir");
	if (!sd || sd[0] != '/') {
		fprintf(stderr, "%s: lia.state_dir must be an absolute path\n", a->config_path);
		return EXIT_USAGE;
	}
	state_init(&a->st, sd);
	return loader_load_all(&a->cfg, &a->plugins, &a->nplugins);
}

void app_free(struct app *a)
{
	loader_unload_all(a->plugins, a->nplugins);
	a->plugins = NULL;
	a->nplugins = 0;
	if (a->cfg_loaded) {
		config_free(&a->cfg);
		state_free(&a->st);
	}
	json_decref(a->report);
}
