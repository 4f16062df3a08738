/* hello: the smallest useful lia plugin, built out of tree against the installed
 * <lia/plugin.h>.  It writes a greeting file into state_dir at setup/verify, removes it on
 * teardown, and records a per-VM note at vm create.
 *
 *   cc -shared -fPIC $(pkg-config --cflags lia-plugin) -o hello.so hello.c
 *   install -m 0644 hello.so $(pkg-config --variable=plugindir lia-plugin)/
 *   lia-core plugins --check $PWD/hello.so      # every defect it can find, before you ship
 *   echo 'hello = { greeting = "hi"; };' > $(pkg-config --variable=confdir lia-plugin)/90-hello.conf
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lia/plugin.h>

/* Settings declare their constraints: the core refuses a bad value with FILE:LINE before
 * any hook runs, so hooks read values without checking them again. */
static const struct lia_option options[] = {
	{ .name = "greeting", .type = LIA_OPT_STRING, .default_value = "hello", .help = "what to write" },
	{ .name = "times",
	  .type = LIA_OPT_INT,
	  .default_value = "1",
	  LIA_RANGE(1, 100),
	  .help = "how many lines to write" },
	{ .name = "style",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_CHOICE,
	  .choices = "plain|shout",
	  .default_value = "plain",
	  .help = "plain or shout" },
	{ 0 },
};

/* A check across settings: reported like the core's own, FILE:LINE and exit 2. */
static int check(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	if (strcmp(h->cfg_str(ctx, "style"), "shout") == 0 && strlen(h->cfg_str(ctx, "greeting")) > 40)
		return h->cfg_error(ctx, "greeting",
				    "is too long to shout (at most 40 characters with style = \"shout\")");
	return 0;
}

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
	for (int64_t i = 0; i < h->cfg_int(ctx, "times"); i++)
		fprintf(f, "%s%s\n", h->cfg_str(ctx, "greeting"),
			strcmp(h->cfg_str(ctx, "style"), "shout") ? "" : "!");
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
	{ .phase = LIA_PHASE_VERIFY,
	  .run = greet,
	  .undo = ungreet,
	  .plan = greet,
	  .summary = "write state_dir/hello.txt" },
	{ .phase = LIA_PHASE_CREATE, .run = vm_hello, .summary = "note a greeting in the VM record" },
	{ 0 },
};

LIA_PLUGIN_DEFINE(hello) = {
	LIA_PLUGIN_HEADER,  .name = "hello",
	.version = "1.0",   .description = "example plugin built out of tree",
	.options = options, .hooks = hooks,
	.check = check,
};
