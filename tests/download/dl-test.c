/* dl-test: call lia_download_service once through a fake host.
 *   dl-test [-g KEY=VALUE]... [-q] URL DEST [SHA256|- [SIZE|- [MODE]]]
 * Prints "fetched=N sha256=HEX progress=CALLS" and exits 0, or prints the error on
 * stderr and exits 1.  Driven by tests/download/download.sh and the benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/download.h"
#include "fakehost.h"

int main(int argc, char **argv)
{
	struct lia_ctx *ctx = fake_host_init(&argc, &argv, "download", NULL, LIA_PHASE_KERNEL);
	struct lia_download req = { .size = sizeof req, .expect_size = -1, .mode = 0644 };
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: dl-test [-g K=V]... [-q] URL DEST [SHA256|- [SIZE|- [MODE]]]\n");
		return 2;
	}
	req.url = argv[0];
	req.dest = argv[1];
	if (argc > 2 && strcmp(argv[2], "-"))
		req.sha256 = argv[2];
	if (argc > 3 && strcmp(argv[3], "-"))
		req.expect_size = strtoll(argv[3], NULL, 10);
	if (argc > 4)
		req.mode = (mode_t)strtol(argv[4], NULL, 8);
	rc = lia_download_service(ctx, &req);
	printf("fetched=%d sha256=%s progress=%u\n", req.fetched, req.got_sha256[0] ? req.got_sha256 : "-",
	       fake_host_progress_calls(ctx));
	return rc < 0 ? 1 : 0;
}
