#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util.h"
#include "conf.h"
#include "conf_check.h"

/* The global `lia` block: its settings, with the same constraints plugins declare. */
#define SZ(lo, hi) LIA_RANGE(lo, hi)
static const struct lia_option global_options[] = {
	{ .name = "state_dir",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .default_value = "/var/lib/lia",
	  .help = "where VM records, images, sockets live" },
	{ .name = "plugin_dir",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .default_value = PLUGINDIR,
	  .help = "where plugins are loaded from" },
	{ .name = "mirror",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_URL,
	  .choices = "http|https|file",
	  .flags = LIA_OPT_EMPTY_OK,
	  .default_value = "",
	  .help = "rewrite default download URLs to this mirror" },
	{ .name = "vcpus",
	  .type = LIA_OPT_INT,
	  SZ(1, 256),
	  .default_value = "2",
	  .help = "default vCPUs of a new VM" },
	{ .name = "mem_mib",
	  .type = LIA_OPT_INT,
	  SZ(32, 1 << 22),
	  .default_value = "1024",
	  .help = "default memory of a new VM, MiB" },
	{ .name = "volume_mib",
	  .type = LIA_OPT_INT,
	  SZ(8, 1 << 24),
	  .default_value = "1024",
	  .help = "default data volume size of a new VM, MiB" },
	{ .name = "ssh_key",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_EMPTY_OK,
	  .default_value = "",
	  .help = "default public key file for new VMs" },
	{ .name = "download_stall_s",
	  .type = LIA_OPT_INT,
	  SZ(1, 86400),
	  .default_value = "30",
	  .help = "abort a download that stalls this long" },
	{ .name = "download_retries",
	  .type = LIA_OPT_INT,
	  SZ(0, 100),
	  .default_value = "3",
	  .help = "retries of a transient download failure" },
	{ .name = "download_timeout",
	  .type = LIA_OPT_INT,
	  SZ(0, 7 * 86400),
	  .default_value = "0",
	  .help = "whole-transfer limit in seconds, 0 = none" },
	{ .name = "download_backoff_ms",
	  .type = LIA_OPT_INT,
	  SZ(0, 600000),
	  .default_value = "1000",
	  .help = "first pause before a download retry, doubled each time" },
	/* lia-core serve, the VM API daemon (lia-vm-api(8)) */
	{ .name = "api_listen",
	  .type = LIA_OPT_STRING,
	  .default_value = "unix:/run/lia/api.sock",
	  .help = "where `lia-core serve` listens: unix:PATH or tcp:HOST:PORT, several separated by ','" },
	{ .name = "api_group",
	  .type = LIA_OPT_STRING,
	  .flags = LIA_OPT_EMPTY_OK,
	  .default_value = "lia",
	  .help = "group of the API's Unix socket (mode 0660), created if missing; \"\": the daemon's" },
	{ .name = "api_token_file",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_EMPTY_OK,
	  .default_value = "",
	  .help = "bearer token for TCP listeners (mode 0600, owned by root); TCP needs it" },
	{ .name = "api_tls_cert",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_EMPTY_OK,
	  .default_value = "",
	  .help = "PEM certificate: TCP listeners speak HTTPS (with api_tls_key)" },
	{ .name = "api_tls_key",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_EMPTY_OK,
	  .default_value = "",
	  .help = "PEM private key of api_tls_cert" },
	{ .name = "api_workers",
	  .type = LIA_OPT_INT,
	  SZ(1, 256),
	  .default_value = "8",
	  .help = "worker processes: VM operations at once; more get 503" },
	{ .name = "api_op_timeout_s",
	  .type = LIA_OPT_INT,
	  SZ(1, 86400),
	  .default_value = "300",
	  .help = "bound of one VM operation; past it the worker is killed and gc undoes the work" },
	{ .name = "api_max_connections",
	  .type = LIA_OPT_INT,
	  SZ(4, 100000),
	  .default_value = "256",
	  .help = "connections served at once; more get 503 with Retry-After" },
	{ .name = "api_client_timeout_s",
	  .type = LIA_OPT_INT,
	  SZ(1, 3600),
	  .default_value = "30",
	  .help = "close a connection idle this long (slow clients)" },
	{ 0 },
};

static int cfg_errors;
static void cfg_value_free(struct cfg_value *v);

static void cfg_error(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cfg_error(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lia-core: %s:%d: ", file ? file : "?", line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	cfg_errors++;
}

static const char *src_file(const struct lia_config *c, config_setting_t *s, size_t fi)
{
	const char *f = config_setting_source_file(s);
	return f ? f : c->paths[fi];
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case LIA_OPT_STRING: return "a string";
	case LIA_OPT_INT: return "an integer";
	case LIA_OPT_BOOL: return "true or false";
	case LIA_OPT_STRINGS: return "an array of strings";
	}
	return "?";
}

/* Check one setting's type and value; fill v. 0 when good.  `owner` names it in messages
 * ("lia.vcpus", "net-tap.pool_start"). */
static int take_value(const char *file, config_setting_t *s, const struct lia_option *o, struct cfg_value *v,
		      const char *owner)
{
	int t = config_setting_type(s);
	int line = (int)config_setting_source_line(s);
	char buf[512];
	const char *bad = NULL;
	switch (o->type) {
	case LIA_OPT_STRING:
		if (t != CONFIG_TYPE_STRING)
			goto bad;
		v->str = config_setting_get_string(s);
		if (literal_has_nul(file, line, o->name))
			bad = "holds a NUL byte (\\x00), which no setting may hold";
		else
			bad = option_value_problem(o, v->str, buf, sizeof(buf));
		break;
	case LIA_OPT_INT: {
		if (t == CONFIG_TYPE_INT)
			v->i = config_setting_get_int(s);
		else if (t == CONFIG_TYPE_INT64)
			v->i = config_setting_get_int64(s);
		else
			goto bad;
		/* libconfig 1.5 keeps only 32 bits of a literal without an L suffix */
		int64_t lit;
		int overflow = 0;
		if (literal_int(file, line, o->name, &lit, &overflow) == 0) {
			if (overflow) {
				bad = "is too large for a 64-bit integer";
				break;
			}
			v->i = lit;
		}
		v->str = v->owned_str = xasprintf("%" PRId64, v->i);
		bad = int_problem(o, v->i, buf, sizeof(buf));
		break;
	}
	case LIA_OPT_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto bad;
		v->b = config_setting_get_bool(s);
		v->str = v->b ? "true" : "false";
		break;
	case LIA_OPT_STRINGS: {
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			goto bad;
		int n = config_setting_length(s);
		cfg_value_free(v);
		v->owned_str = NULL;
		v->owned_items = 0;
		v->list = xcalloc((size_t)n + 1, sizeof(char *));
		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING) {
				cfg_error(file, line, "%s: element %d is not a string (allowed: %s)", owner,
					  i + 1, type_name(o->type));
				return -1;
			}
			v->list[i] = config_setting_get_string(e);
			const char *p = option_value_problem(o, v->list[i], buf, sizeof(buf));
			if (p) {
				cfg_error(file, line, "%s: element %d %s", owner, i + 1, p);
				return -1;
			}
		}
		v->nlist = (size_t)n;
		break;
	}
	}
	if (bad) {
		cfg_error(file, line, "%s: %s", owner, bad);
		return -1;
	}
	v->is_set = 1;
	v->file = file;
	v->line = line;
	return 0;
bad:
	cfg_error(file, line, "%s must be %s", owner, type_name(o->type));
	return -1;
}

static void cfg_value_free(struct cfg_value *v)
{
	free(v->owned_str);
	if (v->list && v->owned_items)
		for (size_t i = 0; i < v->nlist; i++)
			free((char *)v->list[i]);
	free(v->list);
}

static void default_value(const struct lia_option *o, struct cfg_value *v)
{
	v->opt = o;
	v->is_set = 0;
	v->str = o->default_value;
	if (!o->default_value)
		return;
	switch (o->type) {
	case LIA_OPT_INT: v->i = strtoll(o->default_value, NULL, 0); break;
	case LIA_OPT_BOOL:
		v->b = strcmp(o->default_value, "true") == 0 || strcmp(o->default_value, "1") == 0;
		break;
	case LIA_OPT_STRINGS: {
		/* "a,b,c" */
		size_t n = 0, cap = 4;
		v->list = xcalloc(cap + 1, sizeof(char *));
		char *copy = xstrdup(o->default_value), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (n == cap) {
				cap *= 2;
				v->list = realloc(v->list, (cap + 1) * sizeof(char *));
			}
			v->list[n++] = xstrdup(t);
			v->owned_items = 1;
		}
		v->list[n] = NULL;
		v->nlist = n;
		free(copy);
		break;
	}
	default: break;
	}
}

static int read_one(struct lia_config *c, const char *path)
{
	size_t i = c->nfiles;
	c->files = realloc(c->files, (i + 1) * sizeof(config_t));
	c->paths = realloc(c->paths, (i + 1) * sizeof(char *));
	if (!c->files || !c->paths)
		abort();
	config_init(&c->files[i]);
	c->paths[i] = xstrdup(path);
	/* relative @include resolves against the including file's folder, not the CWD */
	char *copy = xstrdup(path);
	config_set_include_dir(&c->files[i], dirname(copy));
	free(copy);
	c->nfiles++;
	if (!config_read_file(&c->files[i], path)) {
		if (config_error_type(&c->files[i]) == CONFIG_ERR_FILE_IO) {
			fprintf(stderr, "lia-core: cannot open configuration file %s: %s\n", path,
				strerror(errno ? errno : EIO));
			cfg_errors++;
		} else
			cfg_error(config_error_file(&c->files[i]) ? config_error_file(&c->files[i]) : path,
				  config_error_line(&c->files[i]), "%s", config_error_text(&c->files[i]));
		return -1;
	}
	return 0;
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static void set_global(struct lia_config *c, const char *key, const char *value)
{
	for (size_t i = 0; i < c->nglobals; i++)
		if (strcmp(c->globals[i].key, key) == 0) {
			free(c->globals[i].value);
			c->globals[i].value = xstrdup(value);
			return;
		}
	c->globals = realloc(c->globals, (c->nglobals + 1) * sizeof(*c->globals));
	c->globals[c->nglobals].key = key;
	c->globals[c->nglobals].value = xstrdup(value);
	c->nglobals++;
}

static void parse_global_block(struct lia_config *c, config_setting_t *g, const char *file)
{
	if (!config_setting_is_group(g)) {
		cfg_error(file, (int)config_setting_source_line(g), "'lia' must be a group: lia = { ... };");
		return;
	}
	int n = config_setting_length(g);
	for (int k = 0; k < n; k++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)k);
		const char *name = config_setting_name(s);
		const struct lia_option *o = global_options;
		while (o->name && strcmp(o->name, name) != 0)
			o++;
		if (!o->name) {
			const char *near = closest_option(global_options, name);
			cfg_error(file, (int)config_setting_source_line(s), "unknown setting 'lia.%s'%s%s%s",
				  name, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
			continue;
		}
		struct cfg_value v = { 0 };
		char *owner = xasprintf("lia.%s", o->name);
		int took = take_value(file, s, o, &v, owner);
		free(owner);
		if (took == 0)
			set_global(c, o->name, v.str);
		cfg_value_free(&v);
	}
}

static void parse_hooks(struct plugin_block *b, config_setting_t *h, const char *file)
{
	if (!config_setting_is_group(h)) {
		cfg_error(file, (int)config_setting_source_line(h),
			  "'%s.hooks' must be a group: hooks = { network = { priority = 40; }; };", b->name);
		return;
	}
	int n = config_setting_length(h);
	for (int k = 0; k < n; k++) {
		config_setting_t *ph = config_setting_get_elem(h, (unsigned)k);
		const char *pname = config_setting_name(ph);
		int line = (int)config_setting_source_line(ph);
		lia_phase_t p = phase_from_name(pname);
		if (p == LIA_PHASE_NONE) {
			/* libconfig names cannot hold '-', so net_up means net-up */
			char *alt = xstrdup(pname);
			for (char *q = alt; *q; q++)
				if (*q == '_')
					*q = '-';
			p = phase_from_name(alt);
			free(alt);
		}
		if (p == LIA_PHASE_NONE) {
			cfg_error(file, line, "'%s.hooks': unknown phase '%s'", b->name, pname);
			continue;
		}
		if (!config_setting_is_group(ph)) {
			cfg_error(file, line, "'%s.hooks.%s' must be a group", b->name, pname);
			continue;
		}
		if (b->nhooks == MAX_HOOK_OVERRIDES)
			continue;
		struct hook_override *o = &b->hooks[b->nhooks++];
		memset(o, 0, sizeof(*o));
		o->phase = p;
		o->file = file;
		o->line = line;
		int m = config_setting_length(ph);
		for (int j = 0; j < m; j++) {
			config_setting_t *s = config_setting_get_elem(ph, (unsigned)j);
			const char *key = config_setting_name(s);
			int sl = (int)config_setting_source_line(s);
			if (strcmp(key, "priority") == 0) {
				if (config_setting_type(s) != CONFIG_TYPE_INT) {
					cfg_error(file, sl, "'priority' must be an integer");
					continue;
				}
				o->has_priority = 1;
				o->priority = config_setting_get_int(s);
			} else if (strcmp(key, "on_error") == 0) {
				const char *v = config_setting_type(s) == CONFIG_TYPE_STRING
							? config_setting_get_string(s)
							: NULL;
				if (!v || (strcmp(v, "fail") != 0 && strcmp(v, "warn") != 0)) {
					cfg_error(file, sl, "'on_error' must be \"fail\" or \"warn\"");
					continue;
				}
				o->warn = strcmp(v, "warn") == 0;
			} else {
				cfg_error(file, sl,
					  "unknown setting '%s' in '%s.hooks.%s' (known: priority, on_error)",
					  key, b->name, pname);
			}
		}
	}
}

static void parse_plugin_block(struct lia_config *c, config_setting_t *g, const char *file)
{
	const char *name = config_setting_name(g);
	int line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cfg_error(file, line, "'%s' must be a plugin block: %s = { ... };", name, name);
		return;
	}
	for (size_t i = 0; i < c->nblocks; i++)
		if (strcmp(c->blocks[i].name, name) == 0) {
			cfg_error(file, line, "duplicate block '%s' (first defined at %s:%d)", name,
				  c->blocks[i].file, c->blocks[i].line);
			return;
		}
	c->blocks = realloc(c->blocks, (c->nblocks + 1) * sizeof(*c->blocks));
	struct plugin_block *b = &c->blocks[c->nblocks];
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	b->file = file;
	b->line = line;
	b->order = (int)c->nblocks;
	b->enabled = 1;
	b->setting = g;
	c->nblocks++;
	config_setting_t *en = config_setting_get_member(g, "enabled");
	if (en) {
		if (config_setting_type(en) != CONFIG_TYPE_BOOL)
			cfg_error(file, (int)config_setting_source_line(en),
				  "'enabled' must be true or false");
		else
			b->enabled = config_setting_get_bool(en);
	}
	config_setting_t *h = config_setting_get_member(g, "hooks");
	if (h)
		parse_hooks(b, h, file);
}

int config_load(struct lia_config *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	cfg_errors = 0;
	c->main_path = xstrdup(path);
	for (const struct lia_option *o = global_options; o->name; o++)
		set_global(c, o->name, o->default_value);

	if (read_one(c, path) < 0)
		return EXIT_USAGE;
	/* conf.d is always the folder beside the main file */
	char *copy = xstrdup(path);
	char *confd = xasprintf("%s/conf.d", dirname(copy));
	free(copy);
	struct dirent **ents = NULL;
	int n = scandir(confd, &ents, conf_filter, alphasort);
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", confd, ents[i]->d_name);
		struct stat st;
		/* a directory must never reach libconfig: flex exit()s on it */
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			read_one(c, p);
		free(p);
		free(ents[i]);
	}
	free(ents);
	free(confd);
	if (cfg_errors)
		return EXIT_USAGE;

	for (size_t fi = 0; fi < c->nfiles; fi++) {
		config_setting_t *root = config_root_setting(&c->files[fi]);
		int m = config_setting_length(root);
		for (int k = 0; k < m; k++) {
			config_setting_t *s = config_setting_get_elem(root, (unsigned)k);
			const char *file = src_file(c, s, fi);
			if (strcmp(config_setting_name(s), "lia") == 0)
				parse_global_block(c, s, file);
			else
				parse_plugin_block(c, s, file);
		}
	}
	return cfg_errors ? EXIT_USAGE : 0;
}

int config_bind(struct plugin_block *b, const struct lia_plugin *p)
{
	int before = cfg_errors;
	size_t nopt = 0;
	if (p->options)
		while (p->options[nopt].name)
			nopt++;
	b->values = xcalloc(nopt + 1, sizeof(struct cfg_value));
	b->nvalues = nopt;
	for (size_t i = 0; i < nopt; i++)
		default_value(&p->options[i], &b->values[i]);

	int n = config_setting_length(b->setting);
	for (int k = 0; k < n; k++) {
		config_setting_t *s = config_setting_get_elem(b->setting, (unsigned)k);
		const char *key = config_setting_name(s);
		const char *file = config_setting_source_file(s) ? config_setting_source_file(s) : b->file;
		if (strcmp(key, "enabled") == 0 || strcmp(key, "hooks") == 0)
			continue;
		size_t i = 0;
		while (i < nopt && strcmp(p->options[i].name, key) != 0)
			i++;
		if (i == nopt) {
			const char *near = closest_option(p->options, key);
			cfg_error(file, (int)config_setting_source_line(s),
				  "unknown setting '%s' for plugin '%s'%s%s%s", key, b->name,
				  near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
			continue;
		}
		char *owner = xasprintf("%s.%s", b->name, key);
		take_value(file, s, &p->options[i], &b->values[i], owner);
		free(owner);
	}
	for (size_t i = 0; i < nopt; i++)
		if ((p->options[i].flags & LIA_OPT_REQUIRED) && !b->values[i].is_set)
			cfg_error(b->file, b->line, "plugin '%s' requires setting '%s'", b->name,
				  p->options[i].name);
	for (int h = 0; h < b->nhooks; h++) {
		int found = 0;
		for (const struct lia_hook *hk = p->hooks; hk && hk->phase; hk++)
			if (hk->phase == b->hooks[h].phase)
				found = 1;
		if (!found)
			cfg_error(b->hooks[h].file, b->hooks[h].line,
				  "plugin '%s' has no hook for phase '%s'", b->name,
				  phase_name(b->hooks[h].phase));
	}
	return cfg_errors - before;
}

const struct lia_option *config_global_option(const char *key)
{
	for (const struct lia_option *o = global_options; o->name; o++)
		if (strcmp(o->name, key) == 0)
			return o;
	return NULL;
}

const char *config_global(const struct lia_config *c, const char *key)
{
	for (size_t i = 0; i < c->nglobals; i++)
		if (strcmp(c->globals[i].key, key) == 0)
			return c->globals[i].value;
	return NULL;
}

const struct cfg_value *block_value(const struct plugin_block *b, const char *key)
{
	for (size_t i = 0; i < b->nvalues; i++)
		if (strcmp(b->values[i].opt->name, key) == 0)
			return &b->values[i];
	return NULL;
}

void config_free(struct lia_config *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		config_destroy(&c->files[i]);
		free(c->paths[i]);
	}
	free(c->files);
	free(c->paths);
	for (size_t i = 0; i < c->nglobals; i++)
		free(c->globals[i].value);
	free(c->globals);
	for (size_t i = 0; i < c->nblocks; i++) {
		free(c->blocks[i].name);
		for (size_t k = 0; k < c->blocks[i].nvalues; k++)
			cfg_value_free(&c->blocks[i].values[k]);
		free(c->blocks[i].values);
	}
	free(c->blocks);
	free(c->main_path);
	memset(c, 0, sizeof(*c));
	conf_check_release();
}
