/* kf-test: run one hook of kernel-fetch through the fake host (no lia-core needed).
 *   kf-test -s STATE [-g K=V]... [-o K=V]... [-q] run|plan|undo
 * Exit 0 when the hook returned >= 0, else 1 (the error is on stderr). */
#include <stdio.h>
#include <string.h>

#include "tests/download/fakehost.h"

extern const struct lia_plugin kernel_fetch_LTX_lia_plugin;

int main(int argc, char **argv)
{
	const struct lia_plugin *pl = &kernel_fetch_LTX_lia_plugin;
	struct lia_ctx *ctx = fake_host_init(&argc, &argv, pl->name, pl->options, LIA_PHASE_KERNEL);
	const struct lia_hook *hk = &pl->hooks[0];
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: kf-test -s STATE [-g K=V]... [-o K=V]... run|plan|undo\n");
		return 2;
	}
	if (!strcmp(argv[0], "run"))
		rc = hk->run(ctx, NULL);
	else if (!strcmp(argv[0], "plan"))
		rc = hk->plan(ctx, NULL);
	else if (!strcmp(argv[0], "undo"))
		rc = hk->undo(ctx, NULL);
	else
		return 2;
	fake_host_done(ctx);
	return rc < 0 ? 1 : 0;
}
