/* hello: the smallest useful lia plugin, built out of tree against the installed
 * <lia/plugin.h>.  It writes a greeting file into state_dir at setup/verify, removes it on
 * teardown, and records a per-VM note at vm create.
 *
 *   cc -shared -fPIC $(pkg-config --cflags lia-plugin) -o hello.so hello.c
 *   install -m 0644 hello.so $(pkg-config --variable=plugindir lia-plugin)/
 *   echo 'hello = { greeting = "hi"; };' > /etc/lia/conf.d/90-hello.conf
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lia/plugin.h>

static const struct lia_option options[] = {
	{ .name = "greeting", .type = LIA_OPT_STRING, .default_value = "hello", .help = "what to write" },
	{ 0 },
};

static int greet(struct lia_ctx *ctx, void *state)
{
	(void)state;
	const struct lia_host *h = ctx->host;
	char path[4096];
	if (h->path(ctx, path, sizeof(path), "hello.txt") < 0)
		return h->error(ctx, -ENAMETOOLONG, "state_dir is too long");
	if (h->dry_run(ctx)) {
		h->note(ctx, "would write %s", path);
		return 0;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return h->error(ctx, -errno, "cannot write %s: %s", path, strerror(errno));
	fprintf(f, "%s\n", h->cfg_str(ctx, "greeting"));
	fclose(f);
	h->note(ctx, "wrote %s", path);
	return 0;
}

static int ungreet(struct lia_ctx *ctx, void *state)
{
	(void)state;
	char path[4096];
	if (ctx->host->path(ctx, path, sizeof(path), "hello.txt") == 0)
		unlink(path);
	return 0;
}

static int vm_hello(struct lia_ctx *ctx, void *state)
{
	(void)state;
	return ctx->host->vm_set(ctx, "hello.greeting", ctx->host->cfg_str(ctx, "greeting"));
}

static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_VERIFY, .run = greet, .undo = ungreet, .plan = greet,
	  .summary = "write state_dir/hello.txt" },
	{ .phase = LIA_PHASE_CREATE, .run = vm_hello, .summary = "note a greeting in the VM record" },
	{ 0 },
};

LIA_PLUGIN_DEFINE(hello) = {
	LIA_PLUGIN_HEADER,
	.name = "hello",
	.version = "1.0",
	.description = "example plugin built out of tree",
	.options = options,
	.hooks = hooks,
};
