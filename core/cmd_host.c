/* Verbs about the host: run PIPELINE, config check. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "run.h"
#include "safe_io.h"
#include "util.h"

/* Host pipelines change one host: two at once would both see "forwarding off" and the
 * memo of the one that turned it on could be lost (issue 10 #5).  So a whole setup,
 * verify or teardown holds state_dir/host/.lock; the next one waits, then sees what the
 * first did.  Returns the fd (closing it releases the lock), or -1 after a message. */
static int host_lock(struct app *a)
{
	char *dir = xasprintf("%s/host", a->st.dir);
	char *p = xasprintf("%s/.lock", dir);
	int fd = mkdir_p(dir, 0700);
	if (fd >= 0)
		fd = safe_lock(p, 1);
	if (fd == -EWOULDBLOCK) {
		msg_info("waiting for another lia-core's host pipeline to end (it holds %s)", p);
		fd = safe_lock(p, 0);
	}
	if (fd < 0) {
		msg_err("cannot take the host lock %s: %s", p, strerror(-fd));
		fd = -1;
	}
	free(p);
	free(dir);
	return fd;
}

int parse_phase_list(const char *pipeline, const char *list, lia_phase_t **out, size_t *n)
{
	char *copy = xstrdup(list), *save = NULL;
	size_t k = 0, cap = 8;
	lia_phase_t *v = xcalloc(cap, sizeof(*v));
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		lia_phase_t p = phase_from_name(t);
		int ok = 0;
		for (size_t i = 0; i < PIPE_SETUP.n; i++)
			ok |= PIPE_SETUP.phases[i] == p;
		if (!ok) {
			fprintf(stderr,
				"lia-core: '%s' is not a phase of %s (phases: preflight, dirs, install, kernel, image, network, services, verify)\n",
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
		fprintf(stderr,
			"lia-core: unknown pipeline '%s' (setup, teardown; VM pipelines run through `lia-core vm`)\n",
			pipeline);
		return EXIT_USAGE;
	}
	lia_phase_t *ph = NULL;
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
		/* teardown: the undo of every setup phase, in reverse order */
		lia_phase_t rev[16];
		for (size_t i = 0; i < PIPE_SETUP.n; i++)
			rev[i] = PIPE_SETUP.phases[PIPE_SETUP.n - 1 - i];
		plan_build(a, undo ? rev : PIPE_SETUP.phases, PIPE_SETUP.n, undo, ph, nph, &p);
		struct run_opts o = { .pipeline = pipeline };
		/* a dry run changes nothing, and must not even make state_dir */
		int lock = a->dry_run ? -2 : host_lock(a);
		rc = lock == -1 ? EXIT_FAIL : plan_run(a, &p, &o);
		if (lock >= 0)
			close(lock);
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

int cmd_config(struct app *a, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: lia-core config check\n");
		return EXIT_USAGE;
	}
	int rc = app_load(a);
	if (!rc && a->json) {
		json_t *files = json_array();
		for (size_t i = 0; i < a->cfg.nfiles; i++)
			json_array_append_new(files, json_string(a->cfg.paths[i]));
		json_t *j = json_pack("{s:b,s:o}", "ok", 1, "files", files);
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else if (!rc && !lia_quiet) {
		for (size_t i = 0; i < a->cfg.nfiles; i++)
			printf("%s: ok\n", a->cfg.paths[i]);
	} else if (rc && a->json) {
		printf("{\"ok\": false, \"exit\": %d}\n", rc);
	}
	return rc;
}
