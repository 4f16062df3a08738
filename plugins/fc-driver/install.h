/* fc-driver's setup/install phase: fetch the Firecracker release tarball, verify it,
 * extract firecracker and jailer, install them into bin_dir.  Owned by the artifacts issue. */
#ifndef LIA_FC_INSTALL_H
#define LIA_FC_INSTALL_H
#include <lia/plugin.h>

int fc_install_run(struct lia_ctx *ctx, void *state);
int fc_install_plan(struct lia_ctx *ctx, void *state);
/* With install = false: fails (naming the file) unless the configured binary can run. */
int fc_install_preflight(struct lia_ctx *ctx);

/* The settings the install phase reads; spliced into fc-driver's options[]. */
#define FC_INSTALL_OPTIONS                                                                                             \
	{                                                                                                              \
		.name = "install",                                                                                     \
		.type = LIA_OPT_BOOL,                                                                                  \
		.default_value = "true",                                                                               \
		.help = "false: never download; use the firecracker given by binary (or bin_dir/firecracker) as it is" \
	},                                                                                                             \
		{ .name = "version",                                                                                   \
		  .type = LIA_OPT_STRING,                                                                              \
		  .default_value = "v1.6.0",                                                                           \
		  .help = "Firecracker release to install" },                                                          \
		{ .name = "release_url",                                                                               \
		  .type = LIA_OPT_STRING,                                                                              \
		  .kind = LIA_KIND_URL,                                                                                \
		  .choices = "http|https|file",                                                                        \
		  .help = "release tarball URL (default: GitHub release of version)" },                                \
		{ .name = "sha256",                                                                                    \
		  .type = LIA_OPT_STRING,                                                                              \
		  .kind = LIA_KIND_SHA256,                                                                             \
		  .help = "expected SHA-256 of the tarball (default: the published .sha256.txt)" },                    \
	{                                                                                                              \
		.name = "bin_dir", .type = LIA_OPT_STRING, .default_value = "/usr/local/bin",                          \
		.kind = LIA_KIND_ABSPATH, .help = "where firecracker and jailer are installed"                         \
	}

#endif
