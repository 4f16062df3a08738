/* fc-driver's setup/install phase: fetch the Firecracker release tarball, verify it,
 * extract firecracker and jailer, install them into bin_dir.  Owned by the artifacts issue. */
#ifndef LIA_FC_INSTALL_H
#define LIA_FC_INSTALL_H
#include <lia/plugin.h>

int fc_install_run(struct lia_ctx *ctx, void *state);
int fc_install_plan(struct lia_ctx *ctx, void *state);

/* The settings the install phase reads; spliced into fc-driver's options[]. */
#define FC_INSTALL_OPTIONS \
	{ "version", LIA_OPT_STRING, "v1.6.0", 0, "Firecracker release to install" }, \
	{ "release_url", LIA_OPT_STRING, NULL, 0, "release tarball URL (default: GitHub release of version)" }, \
	{ "sha256", LIA_OPT_STRING, NULL, 0, "expected SHA-256 of the tarball (default: the published .sha256.txt)" }, \
	{ "bin_dir", LIA_OPT_STRING, "/usr/local/bin", 0, "where firecracker and jailer are installed" }

#endif
