/* Plugin loading through libltdl: find, open, check the descriptor and ABI. */
#ifndef LIA_CORE_LOADER_H
#define LIA_CORE_LOADER_H
#include <ltdl.h>
#include <lia/plugin.h>
#include "conf.h"

/* The core never reads a plugin's descriptor or tables in place: the loader copies each
 * into the core's own layout, only the bytes inside the size the plugin declared, the
 * rest zero (ABI 2.0 growth rule).  desc points at that copy, whose table pointers point
 * at the copies, each terminated as the header says. */
struct loaded_plugin {
	const struct lia_plugin *desc;
	const struct lia_plugin *raw; /* as exported */
	struct plugin_block *block;
	char *file; /* path it came from, or "NAME (built in)" */
	lt_dlhandle handle;
	void *state; /* from open() */
	int opened;
	void *memo; /* json_t of state_dir/host/NAME.json, loaded on first use */
	struct lia_plugin *copy;
	size_t noptions, nhooks, ncommands, nfacts;
};

/* Open FILE.so as plugin NAME (the file stem) outside any configuration and normalize
 * its descriptor; problems are printed; 0 or -1.  For `plugins --check`. */
int loader_open_file(const char *file, const char *name, struct loaded_plugin *lp);
/* Report every defect of a loaded descriptor (used by --check); returns their count. */
int loader_lint(const struct loaded_plugin *lp);
void loader_release(struct loaded_plugin *lp);

/* Load every enabled block's plugin.  Prints one line per refusal; returns 0 or EXIT_USAGE. */
int loader_load_all(struct lia_config *c, struct loaded_plugin **out, size_t *n);
void loader_unload_all(struct loaded_plugin *p, size_t n);

#endif
