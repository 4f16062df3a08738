/* Configuration: lia.conf, then every conf.d file ending in .conf beside it (libconfig 1.5).
 * plugin, validated against the plugin's declared options with FILE:LINE errors. */
#ifndef LIA_CORE_CONFIG_H
#define LIA_CORE_CONFIG_H
#include <libconfig.h>
#include <lia/plugin.h>

#define MAX_HOOK_OVERRIDES 24

struct cfg_value {
	const struct lia_option *opt;
	int is_set;
	const char *str;
	int64_t i;
	int b;
	const char **list; /* NULL-terminated */
	size_t nlist;
	const char *file; /* where it was set (is_set) */
	int line;
	char *owned_str; /* freed with the value */
	int owned_items; /* list items are ours */
};

struct hook_override {
	lia_phase_t phase;
	int has_priority;
	int priority;
	int warn; /* on_error = "warn" */
	const char *file;
	int line;
};

struct plugin_block {
	char *name;
	const char *file;
	int line;
	int order; /* position across all files, for stable ordering */
	int enabled;
	config_setting_t *setting;
	struct hook_override hooks[MAX_HOOK_OVERRIDES];
	int nhooks;
	struct cfg_value *values; /* one per option, after config_bind() */
	size_t nvalues;
};

struct global_kv {
	const char *key;
	char *value;
};

struct lia_config {
	char *main_path;
	config_t *files;
	char **paths;
	size_t nfiles;
	struct global_kv *globals;
	size_t nglobals;
	struct plugin_block *blocks;
	size_t nblocks;
};

/* Reads and checks the syntax and the `lia` block. 0, or EXIT_USAGE after printing errors. */
int config_load(struct lia_config *c, const char *path);
/* Validate a block against its plugin's options[] (types, ranges, kinds); prints FILE:LINE
 * errors; returns the number of errors. */
int config_bind(struct plugin_block *b, const struct lia_plugin *p);
const char *config_global(const struct lia_config *c, const char *key);
/* the declaration of a `lia` block setting (its range, for the same check on the command line) */
const struct lia_option *config_global_option(const char *key);
const struct cfg_value *block_value(const struct plugin_block *b, const char *key);
void config_free(struct lia_config *c);

#endif
