/* fci-test: run fc-driver's install phase (plugins/fc-driver/install.c) through the
 * fake host, so it is tested without the rest of fc-driver or lia-core.
 *   fci-test -s STATE [-g K=V]... [-o K=V]... [-q] run|plan
 * Exit 0 when the hook returned >= 0, else 1 (the error is on stderr). */
#include <stdio.h>
#include <string.h>

#include "plugins/fc-driver/install.h"
#include "tests/download/fakehost.h"

static const struct lia_option opts[] = { FC_INSTALL_OPTIONS, { 0 } };

int main(int argc, char **argv)
{
	struct lia_ctx *ctx = fake_host_init(&argc, &argv, "fc-driver", opts, LIA_PHASE_INSTALL);
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: fci-test -s STATE [-g K=V]... [-o K=V]... run|plan\n");
		return 2;
	}
	if (!strcmp(argv[0], "run"))
		rc = fc_install_run(ctx, NULL);
	else if (!strcmp(argv[0], "plan"))
		rc = fc_install_plan(ctx, NULL);
	else
		return 2;
	fake_host_done(ctx);
	return rc < 0 ? 1 : 0;
}
