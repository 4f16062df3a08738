/* Verbs about the host: run PIPELINE, plugins, config check. */
#include "config.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "run.h"
#include "util.h"

static const enum lia_phase setup_phases[] = {
	LIA_PHASE_PREFLIGHT, LIA_PHASE_DIRS,	 LIA_PHASE_INSTALL,  LIA_PHASE_KERNEL,
	LIA_PHASE_IMAGE,     LIA_PHASE_NETWORK, LIA_PHASE_SERVICES, LIA_PHASE_VERIFY,
};
static const enum lia_phase teardown_phases[] = {
	LIA_PHASE_VERIFY, LIA_PHASE_SERVICES, LIA_PHASE_NETWORK, LIA_PHASE_IMAGE,
	LIA_PHASE_KERNEL, LIA_PHASE_INSTALL,  LIA_PHASE_DIRS,	 LIA_PHASE_PREFLIGHT,
};
#define N(x) (sizeof(x) / sizeof((x)[0]))

int parse_phase_list(const char *pipeline, const char *list, enum lia_phase **out, size_t *n)
{
	char *copy = xstrdup(list), *save = NULL;
	size_t k = 0, cap = 8;
	enum lia_phase *v = xcalloc(cap, sizeof(*v));
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum lia_phase p = phase_from_name(t);
		int ok = 0;
		for (size_t i = 0; i < N(setup_phases); i++)
			ok |= setup_phases[i] == p;
		if (!ok) {
			fprintf(stderr, "lia-core: '%s' is not a phase of %s (phases: preflight, dirs, install, kernel, image, network, services, verify)\n",
				t, pipeline);
			free(copy);
			free(v);
			return EXIT_USAGE;
		}
		if (k == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[k++] = p;
	}
	free(copy);
	*out = v;
	*n = k;
	return 0;
}

int cmd_run(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': a->dry_run = 1; break;
		case 'o': only = optarg; break;
		case 'j': a->json = 1; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: lia-core run setup|teardown [--dry-run] [--only PHASE[,PHASE...]]\n");
		return EXIT_USAGE;
	}
	const char *pipeline = argv[optind];
	int undo;
	if (strcmp(pipeline, "setup") == 0)
		undo = 0;
	else if (strcmp(pipeline, "teardown") == 0)
		undo = 1;
	else {
		fprintf(stderr, "lia-core: unknown pipeline '%s' (setup, teardown; VM pipelines run through `lia-core vm`)\n", pipeline);
		return EXIT_USAGE;
	}
	enum lia_phase *ph = NULL;
	size_t nph = 0;
	if (only && parse_phase_list(pipeline, only, &ph, &nph))
		return EXIT_USAGE;
	int rc = app_load(a);
	if (rc) {
		free(ph);
		return rc;
	}
	if (a->json)
		a->report = json_pack("{s:s,s:b,s:[]}", "pipeline", pipeline, "dry_run", a->dry_run, "steps");
	rc = app_open_plugins(a);
	if (!rc) {
		struct plan p;
		plan_build(a, undo ? teardown_phases : setup_phases, N(setup_phases), undo, ph, nph, &p);
		struct run_opts o = { .pipeline = pipeline };
		rc = plan_run(a, &p, &o);
		plan_free(&p);
	}
	free(ph);
	if (a->report) {
		json_object_set_new(a->report, "ok", json_boolean(rc == 0));
		json_dumpf(a->report, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	return rc;
}

static const char *type_str(enum lia_opt_type t)
{
	switch (t) {
	case LIA_OPT_STRING: return "string";
	case LIA_OPT_INT: return "int";
	case LIA_OPT_BOOL: return "bool";
	case LIA_OPT_STRINGS: return "strings";
	}
	return "?";
}

int cmd_plugins(struct app *a, int argc, char **argv)
{
	int rc = app_load(a);
	if (rc)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < a->nplugins; i++) {
		const struct lia_plugin *d = a->plugins[i].desc;
		json_t *hooks = json_array(), *opts = json_array(), *cmds = json_array();
		for (const struct lia_hook *h = d->hooks; h && h->phase; h++)
			json_array_append_new(hooks, json_string(phase_name(h->phase)));
		for (const struct lia_option *o = d->options; o && o->name; o++)
			json_array_append_new(opts, json_pack("{s:s,s:s,s:s?,s:b}", "name", o->name, "type",
							      type_str(o->type), "default", o->default_value,
							      "required", o->required));
		for (const struct lia_command *c = d->vm_commands; c && c->name; c++)
			json_array_append_new(cmds, json_string(c->name));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s?,s:s,s:o,s:o,s:o}", "name", d->name,
						     "version", d->version ? d->version : "",
						     "abi", "", "provides", d->provides, "file",
						     a->plugins[i].file, "hooks", hooks, "options", opts,
						     "vm_commands", cmds));
		char abi[16];
		snprintf(abi, sizeof(abi), "%u.%u", d->abi_major, d->abi_minor);
		json_object_set_new(json_array_get(arr, i), "abi", json_string(abi));
	}
	if (a->json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-14s %-8s %-5s %-8s %-40s %s\n", "NAME", "VERSION", "ABI", "ROLE", "FILE", "HOOKS");
		for (size_t i = 0; i < json_array_size(arr); i++) {
			json_t *p = json_array_get(arr, i);
			char hooks[256] = "";
			size_t k;
			json_t *h;
			json_array_foreach(json_object_get(p, "hooks"), k, h) {
				if (k)
					strncat(hooks, ",", sizeof(hooks) - strlen(hooks) - 1);
				strncat(hooks, json_string_value(h), sizeof(hooks) - strlen(hooks) - 1);
			}
			const char *role = json_string_value(json_object_get(p, "provides"));
			printf("%-14s %-8s %-5s %-8s %-40s %s\n", json_string_value(json_object_get(p, "name")),
			       json_string_value(json_object_get(p, "version")),
			       json_string_value(json_object_get(p, "abi")), role ? role : "-",
			       json_string_value(json_object_get(p, "file")), hooks);
			if (lia_verbose) {
				json_t *o;
				json_array_foreach(json_object_get(p, "options"), k, o) {
					const char *dv = json_string_value(json_object_get(o, "default"));
					printf("    %-20s %-8s default %s\n", json_string_value(json_object_get(o, "name")),
					       json_string_value(json_object_get(o, "type")), dv ? dv : "(none)");
				}
			}
		}
	}
	json_decref(arr);
	return 0;
}

int cmd_config(struct app *a, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: lia-core config check\n");
		return EXIT_USAGE;
	}
	int rc = app_load(a);
	if (rc)
		return rc;
	if (!lia_quiet)
		for (size_t i = 0; i < a->cfg.nfiles; i++)
			printf("%s: ok\n", a->cfg.paths[i]);
	return 0;
}
