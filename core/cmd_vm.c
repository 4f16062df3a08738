/* `lia-core vm ...`: the arguments of the VM verbs; the work is in vm_ops.c and vm_view.c. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "sshkey.h"
#include "conf_check.h"
#include "util.h"
#include "vm_ops.h"

/* a size given on the command line obeys the same range as its `lia` block default */
static int parse_size(const char *opt, const char *key, const char *s, int64_t *out)
{
	char *end, buf[256];
	errno = 0;
	long long v = strtoll(s, &end, 10);
	const char *bad = NULL;
	if (*s == 0 || *end || errno)
		bad = "is not a whole number";
	else
		bad = int_problem(config_global_option(key), v, buf, sizeof(buf));
	if (bad) {
		fprintf(stderr, "lia-core: %s %s: %s\n", opt, s, bad);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

/* OpenSSH public keys only (core/sshkey.c).  The guest takes one key (lia-init), so a
 * file of several gives its first, and says so. */
static char *read_key(const char *path)
{
	char err[600], *keys;
	int n = sshkey_load(path, &keys, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "lia-core: %s\n", err);
		return NULL;
	}
	char *nl = strchr(keys, '\n');
	if (nl) {
		*nl = 0;
		fprintf(stderr, "lia-core: %s holds %d keys; the guest takes one: the first\n", path, n);
	}
	return keys;
}

static int vm_create(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'c' },   { "mem-mib", required_argument, NULL, 'm' },
		{ "ssh-key", required_argument, NULL, 'k' }, { "volume-mib", required_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, 'n' },       { NULL, 0, NULL, 0 },
	};
	int64_t vcpus = 0, mem = 0, vol = 0;
	const char *keyfile = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int e = 0;
		switch (ch) {
		case 'c': e = parse_size("--vcpus", "vcpus", optarg, &vcpus); break;
		case 'm': e = parse_size("--mem-mib", "mem_mib", optarg, &mem); break;
		case 'V': e = parse_size("--volume-mib", "volume_mib", optarg, &vol); break;
		case 'k': keyfile = optarg; break;
		case 'n': a->dry_run = 1; break;
		default: return EXIT_USAGE;
		}
		if (e)
			return e;
	}
	if (optind + 1 != argc) {
		fprintf(stderr,
			"usage: lia-core vm create NAME [--vcpus N] [--mem-mib N] [--ssh-key FILE] [--volume-mib N]\n");
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	int rc = vm_name_or_usage(name);
	if (rc || (rc = app_load(a)))
		return rc;
	if (!keyfile && *config_global(&a->cfg, "ssh_key"))
		keyfile = config_global(&a->cfg, "ssh_key");
	char *key = NULL;
	if (keyfile && !(key = read_key(keyfile)))
		return EXIT_USAGE;
	struct vm_spec spec = { .vcpus = vcpus, .mem_mib = mem, .volume_mib = vol, .ssh_key = key };
	rc = vm_op_create(a, name, &spec);
	free(key);
	return rc;
}

static int vm_stop(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	int force = 0, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f')
			return EXIT_USAGE;
		force = 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: lia-core vm stop NAME [NAME...] [--force]\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (vm_name_or_usage(argv[i]))
			return EXIT_USAGE;
	/* several VMs in one process: one group commit for their records (vm_ops.c) */
	return vm_op_stop_many(a, argv + optind, argc - optind, force);
}

int cmd_vm(struct app *a, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lia-core vm create|start|stop|destroy|list|show|CMD ...\n");
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	/* --json and --dry-run are accepted after the sub-command too */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--dry-run") == 0) {
			if (argv[i][2] == 'j')
				a->json = 1;
			else
				a->dry_run = 1;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(char *));
			argc--;
			i--;
		}
	}
	if (strcmp(sub, "create") == 0)
		return vm_create(a, argc, argv);
	if (strcmp(sub, "stop") == 0)
		return vm_stop(a, argc, argv);
	if (strcmp(sub, "list") == 0)
		return vm_list(a);
	if (strcmp(sub, "show") == 0) {
		if (argc != 2) {
			fprintf(stderr, "usage: lia-core vm show NAME\n");
			return EXIT_USAGE;
		}
		return vm_show(a, argv[1]);
	}
	if (strcmp(sub, "start") == 0 || strcmp(sub, "destroy") == 0) {
		/* several VMs in one process: the start-up cost of lia-core is paid once */
		if (argc < 2) {
			fprintf(stderr, "usage: lia-core vm %s NAME [NAME...]\n", sub);
			return EXIT_USAGE;
		}
		for (int i = 1; i < argc; i++)
			if (vm_name_or_usage(argv[i]))
				return EXIT_USAGE;
		if (sub[0] == 's') /* one group commit for the batch's records (vm_ops.c) */
			return vm_op_start_many(a, argv + 1, argc - 1);
		int worst = 0;
		for (int i = 1; i < argc; i++) {
			int rc = vm_op_destroy(a, argv[i]);
			if (rc > worst)
				worst = rc;
			if (rc == EXIT_USAGE)
				break; /* the configuration is bad: the next VM would fail alike */
		}
		return worst;
	}
	return vm_plugin_cmd(a, argc, argv);
}
