/* A plugin for the grow-both-ways test (tests/abi/grow.sh): two options with constraints,
 * three hooks, a vm command, a fact, and a download, so that every table and request the
 * core reads is exercised.  Built once against <lia/plugin.h> as installed and once
 * against a copy with one field appended to every ABI struct. */
#include <errno.h>
#include <stdio.h>
#include <lia/plugin.h>

static void logline(struct lia_ctx *ctx, const char *what)
{
	FILE *f = fopen(ctx->host->cfg_str(ctx, "log"), "a");
	if (f) {
		fprintf(f, "%s phase=%u\n", what, ctx->host->phase(ctx));
		fclose(f);
	}
}
static int h_kernel(struct lia_ctx *ctx, void *s)
{
	(void)s;
	logline(ctx, "kernel");
	struct lia_download d = { .size = sizeof d,
				  .mode = 0644,
				  .url = ctx->host->cfg_str(ctx, "url"),
				  .dest = ctx->host->cfg_str(ctx, "dest"),
				  .expect_size = -1 };
	int r = ctx->host->download(ctx, &d);
	if (r < 0)
		return r;
	FILE *f = fopen(ctx->host->cfg_str(ctx, "log"), "a");
	if (f) {
		fprintf(f, "download sha=%s fetched=%d\n", d.got_sha256, (int)d.fetched);
		fclose(f);
	}
	return 0;
}
static int h_image(struct lia_ctx *ctx, void *s)
{
	(void)s;
	logline(ctx, "image");
	return 0;
}
static int h_verify(struct lia_ctx *ctx, void *s)
{
	(void)s;
	char line[64];
	snprintf(line, sizeof line, "verify level=%lld", (long long)ctx->host->cfg_int(ctx, "level"));
	logline(ctx, line);
	return 0;
}

static const struct lia_option options[] = {
	{ .name = "log",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_REQUIRED,
	  .help = "log file" },
	{ .name = "level",
	  .type = LIA_OPT_INT,
	  .default_value = "5",
	  LIA_RANGE(1, 9),
	  .help = "a bounded number" },
	{ .name = "url",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_URL,
	  .choices = "file",
	  .default_value = "file:///dev/null",
	  .help = "what to download" },
	{ .name = "dest",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .default_value = "/nonexistent/x",
	  .help = "where to" },
	{ 0 },
};
static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_KERNEL, .run = h_kernel, .summary = "download" },
	{ .phase = LIA_PHASE_IMAGE, .run = h_image, .summary = "image" },
	{ .phase = LIA_PHASE_VERIFY, .run = h_verify, .summary = "verify" },
	{ 0 },
};
static int c_hello(struct lia_ctx *ctx, void *s, int argc, char **argv)
{
	(void)ctx, (void)s, (void)argc, (void)argv;
	return 0;
}
static const struct lia_command cmds[] = { { "hello", "hello NAME", c_hello }, { NULL, NULL, NULL } };
static const struct lia_fact facts[] = { { "grow.level", "level" }, { NULL, NULL } };

LIA_PLUGIN_DEFINE(STEM) = {
	LIA_PLUGIN_HEADER,  .name = NAME,   .version = "1",      .description = "ABI growth test plugin",
	.options = options, .hooks = hooks, .vm_commands = cmds, .facts = facts,
};
