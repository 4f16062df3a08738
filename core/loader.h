/* Plugin loading through libltdl: find, open, check the descriptor and ABI. */
#ifndef LIA_CORE_LOADER_H
#define LIA_CORE_LOADER_H
#include <ltdl.h>
#include <lia/plugin.h>
#include "conf.h"

struct loaded_plugin {
	const struct lia_plugin *desc;
	struct plugin_block *block;
	char *file; /* path it came from, or "NAME (built in)" */
	lt_dlhandle handle;
	void *state; /* from open() */
	int opened;
	void *memo; /* json_t of state_dir/host/NAME.json, loaded on first use */
};

/* Load every enabled block's plugin.  Prints one line per refusal; returns 0 or EXIT_USAGE. */
int loader_load_all(struct lia_config *c, struct loaded_plugin **out, size_t *n);
void loader_unload_all(struct loaded_plugin *p, size_t n);

#endif
