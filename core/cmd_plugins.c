/* `lia-core plugins [-v] [--check FILE.so...]`: list the configured plugins, or check
 * plugin files outside any configuration (for third-party authors). */
#include "config.h"
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "plugin_lint.h"
#include "table.h"
#include "util.h"

static const char *type_str(uint32_t t)
{
	switch (t) {
	case LIA_OPT_STRING: return "string";
	case LIA_OPT_INT: return "int";
	case LIA_OPT_BOOL: return "bool";
	case LIA_OPT_STRINGS: return "strings";
	}
	return "?";
}

static json_t *plugin_json(const struct loaded_plugin *lp)
{
	const struct lia_plugin *d = lp->desc;
	json_t *hooks = json_array(), *opts = json_array(), *cmds = json_array(), *facts = json_array();
	for (const struct lia_hook *h = d->hooks; h && h->phase; h++)
		json_array_append_new(hooks, json_string(phase_name(h->phase)));
	for (const struct lia_option *o = d->options; o && o->name; o++) {
		json_t *j = json_pack("{s:s,s:s,s:s?,s:b,s:s?}", "name", o->name, "type", type_str(o->type),
				      "default", o->default_value, "required",
				      (o->flags & LIA_OPT_REQUIRED) != 0, "help", o->help);
		if (o->flags & LIA_OPT_RANGE) {
			json_object_set_new(j, "min", json_integer(o->min));
			json_object_set_new(j, "max", json_integer(o->max));
		}
		json_array_append_new(opts, j);
	}
	for (const struct lia_command *c = d->vm_commands; c && c->name; c++)
		json_array_append_new(cmds, json_string(c->name));
	for (const struct lia_fact *f = d->facts; f && f->name; f++)
		json_array_append_new(facts, json_string(f->name));
	char abi[16];
	snprintf(abi, sizeof(abi), "%u.%u", d->abi_major, d->abi_minor);
	return json_pack("{s:s,s:s,s:s,s:s?,s:s,s:o,s:o,s:o,s:o,s:b,s:b}", "name", d->name, "version",
			 d->version ? d->version : "", "abi", abi, "provides", d->provides, "file", lp->file,
			 "hooks", hooks, "options", opts, "vm_commands", cmds, "facts", facts, "prepare",
			 d->prepare != NULL, "flush", d->flush != NULL);
}

static void print_table(json_t *arr)
{
	/* columns sized to their contents; with -v each plugin's settings follow its row, so
	 * the table is printed a plugin at a time with the widths of the whole */
	struct table t;
	table_init(&t, 6);
	const char *head[6] = { "NAME", "VERSION", "ABI", "ROLE", "FILE", "HOOKS" };
	table_row(&t, head);
	size_t i;
	json_t *p;
	json_array_foreach(arr, i, p)
	{
		char hooks[512] = "";
		size_t k;
		json_t *h;
		json_array_foreach(json_object_get(p, "hooks"), k, h)
		{
			if (k)
				strncat(hooks, ",", sizeof(hooks) - strlen(hooks) - 1);
			strncat(hooks, json_string_value(h), sizeof(hooks) - strlen(hooks) - 1);
		}
		const char *row[6] = { json_string_value(json_object_get(p, "name")),
				       json_string_value(json_object_get(p, "version")),
				       json_string_value(json_object_get(p, "abi")),
				       json_string_value(json_object_get(p, "provides")),
				       json_string_value(json_object_get(p, "file")),
				       hooks };
		table_row(&t, row);
	}
	if (!lia_verbose) {
		table_print(&t, stdout);
		table_free(&t);
		return;
	}
	/* -v: the settings of each plugin under its row */
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	if (!f) {
		table_print(&t, stdout);
		table_free(&t);
		return;
	}
	table_print(&t, f);
	fclose(f);
	table_free(&t);
	char *save = NULL, *line = strtok_r(out, "\n", &save);
	printf("%s\n", line ? line : "");
	json_array_foreach(arr, i, p)
	{
		line = strtok_r(NULL, "\n", &save);
		printf("%s\n", line ? line : "");
		struct table o;
		table_init(&o, 5);
		size_t k;
		json_t *opt;
		json_array_foreach(json_object_get(p, "options"), k, opt)
		{
			const char *dv = json_string_value(json_object_get(opt, "default"));
			const char *row[5] = { "   ", json_string_value(json_object_get(opt, "name")),
					       json_string_value(json_object_get(opt, "type")),
					       !dv   ? "(none)"
					       : *dv ? dv
						     : "\"\"",
					       json_string_value(json_object_get(opt, "help")) };
			table_row(&o, row);
		}
		table_print(&o, stdout);
		table_free(&o);
		/* ABI 2.1 callbacks */
		int prep = json_is_true(json_object_get(p, "prepare")),
		    fl = json_is_true(json_object_get(p, "flush"));
		if (prep || fl)
			printf("    also: %s%s%s\n",
			       prep ? "prepare (ledger entries saved before a start's hooks)" : "",
			       prep && fl ? ", " : "", fl ? "flush (deferred work, once per command)" : "");
	}
	free(out);
}

/* plugins --check FILE.so: load outside any configuration, report every defect */
static int check_files(struct app *a, int argc, char **argv)
{
	int worst = 0;
	json_t *out = json_array();
	for (int i = 0; i < argc; i++) {
		char *copy = xstrdup(argv[i]);
		char *stem = basename(copy);
		char *dot = strrchr(stem, '.');
		if (dot && strcmp(dot, ".so") == 0)
			*dot = 0;
		struct loaded_plugin lp = { 0 }; /* released below even when never opened */
		int defects;
		if (argv[i][0] != '/') {
			fprintf(stderr, "lia-core: %s: give the plugin file as an absolute path\n", argv[i]);
			defects = 1;
		} else if (loader_open_file(argv[i], stem, &lp) < 0) {
			defects = 1;
		} else {
			defects = plugin_lint(&lp);
		}
		if (defects == 0 && !a->json && !lia_quiet)
			printf("%s: ok (plugin '%s' %s, ABI %u.%u, %zu options, %zu hooks%s%s)\n", argv[i],
			       lp.desc->name, lp.desc->version ? lp.desc->version : "", lp.desc->abi_major,
			       lp.desc->abi_minor, lp.noptions, lp.nhooks,
			       lp.desc->prepare ? ", prepare" : "", lp.desc->flush ? ", flush" : "");
		json_array_append_new(out, json_pack("{s:s,s:i}", "file", argv[i], "defects", defects));
		if (defects)
			worst = EXIT_USAGE;
		loader_release(&lp);
		free(copy);
	}
	if (a->json) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(out);
	return worst;
}

int cmd_plugins(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int check = 0, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
		switch (ch) {
		case 'C': check = 1; break;
		case 'v': lia_verbose++; break;
		case 'j': a->json = 1; break;
		default:
			fprintf(stderr,
				"usage: lia-core plugins [-v] [--json] | lia-core plugins --check FILE.so...\n");
			return EXIT_USAGE;
		}
	}
	if (check) {
		if (optind >= argc) {
			fprintf(stderr, "usage: lia-core plugins --check FILE.so...\n");
			return EXIT_USAGE;
		}
		return check_files(a, argc - optind, argv + optind);
	}
	if (optind != argc) {
		fprintf(stderr,
			"lia-core: plugins: unexpected argument '%s' (usage: lia-core plugins [-v] [--json])\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	int rc = app_load(a);
	if (rc)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < a->nplugins; i++)
		json_array_append_new(arr, plugin_json(&a->plugins[i]));
	if (a->json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_table(arr);
	}
	json_decref(arr);
	return 0;
}
