/* lia-core: parse the command line, call one function per verb. */
#include "config.h"
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "cmds.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lia-core [-c FILE] [-v] [-q] [--json] COMMAND ...\n"
		"\n"
		"commands:\n"
		"  run setup|teardown [--dry-run] [--only PHASE[,PHASE...]]\n"
		"  vm create NAME [--vcpus N] [--mem-mib N] [--ssh-key FILE] [--volume-mib N]\n"
		"  vm start NAME... | vm stop NAME... [--force] | vm destroy NAME...\n"
		"  vm list | vm show NAME | vm CMD NAME [ARGS] (commands of plugins, e.g. connect)\n"
		"  gc [--dry-run]     finish or undo interrupted work; remove host objects no VM owns\n"
		"  plugins [-v]       list the loaded plugins, their hooks (and settings)\n"
		"  plugins --check FILE.so...  check plugin files (for plugin authors)\n"
		"  config check       validate every configuration file\n"
		"  serve [--listen unix:PATH|tcp:HOST:PORT]...  the VM API daemon (lia-vm-api(8))\n"
		"\n"
		"options:\n"
		"  -c, --config FILE  configuration (default $LIA_CONFIG or %s/lia/lia.conf)\n"
		"  -v, --verbose      more messages\n"
		"  -q, --quiet        errors and warnings only, no progress\n"
		"      --json         data output as JSON\n"
		"      --dry-run      print what would change, change nothing\n"
		"      --version, --help\n"
		"\n"
		"exit status: 0 success, 1 failure, 2 usage or configuration error\n",
		SYSCONFDIR);
}

static void on_interrupt(int sig)
{
	lia_interrupted = sig;
}

/* A handler, not SIG_IGN: ignored signals stay ignored in the programs we run, handled
 * ones are reset to their default by exec. */
static void on_sigpipe(int sig)
{
	(void)sig;
}

/* A closed output pipe must not kill lia-core in the middle of a pipeline (the write
 * fails with EPIPE and the work goes on); SIGINT and SIGTERM stop the pipeline at the
 * next step boundary, with rollback.  A second one acts at once (SA_RESETHAND). */
static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigpipe;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct app a;
	memset(&a, 0, sizeof(a));
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },        { "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },      { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a.config_path = optarg; break;
		case 'v': lia_verbose++; break;
		case 'q': lia_quiet = 1; break;
		case 'j': a.json = 1; break;
		case 'n': a.dry_run = 1; break;
		case 'V':
			printf("lia-core %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, LIA_ABI_MAJOR,
			       LIA_ABI_MINOR);
			return EXIT_OK;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!a.config_path)
		a.config_path = getenv("LIA_CONFIG");
	if (!a.config_path || !*a.config_path)
		a.config_path = SYSCONFDIR "/lia/lia.conf";

	const char *verb = argv[optind];
	int vargc = argc - optind;
	char **vargv = argv + optind;
	/* global options are accepted after the verb too: `lia-core plugins -v`,
	 * `lia-core gc --dry-run`; everything after `--` is left alone */
	for (int i = 1; i < vargc; i++) {
		const char *o = vargv[i];
		if (strcmp(o, "--") == 0)
			break;
		if (strcmp(o, "-v") == 0 || strcmp(o, "--verbose") == 0)
			lia_verbose++;
		else if (strcmp(o, "-q") == 0 || strcmp(o, "--quiet") == 0)
			lia_quiet = 1;
		else if (strcmp(o, "--json") == 0)
			a.json = 1;
		else if (strcmp(o, "--dry-run") == 0)
			a.dry_run = 1;
		else
			continue;
		memmove(&vargv[i], &vargv[i + 1], (size_t)(vargc - i) * sizeof(char *));
		vargc--;
		i--;
	}
	int rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	install_signals();
	/* jansson seeds its hash tables at the first object by reading /dev/urandom (open, read,
	 * close); one getrandom() gives it the same, a per-VM command pays every system call */
	uint32_t seed;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed && seed)
		json_object_seed(seed);
	if (strcmp(verb, "run") == 0)
		rc = cmd_run(&a, vargc, vargv);
	else if (strcmp(verb, "vm") == 0)
		rc = cmd_vm(&a, vargc, vargv);
	else if (strcmp(verb, "gc") == 0)
		rc = cmd_gc(&a, vargc, vargv);
	else if (strcmp(verb, "plugins") == 0)
		rc = cmd_plugins(&a, vargc, vargv);
	else if (strcmp(verb, "config") == 0)
		rc = cmd_config(&a, vargc, vargv);
	else if (strcmp(verb, "serve") == 0)
		rc = cmd_serve(&a, vargc, vargv);
	else {
		fprintf(stderr, "lia-core: unknown command '%s'\n", verb);
		usage(stderr);
		rc = EXIT_USAGE;
	}
	app_free(&a);
	fflush(stdout);
	if (lia_interrupted) {
		fprintf(stderr, "lia-core: stopped by %s\n",
			lia_interrupted == SIGINT ? "SIGINT" : "SIGTERM");
		return 128 + lia_interrupted;
	}
	return rc;
}
