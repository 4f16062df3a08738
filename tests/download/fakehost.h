/* A fake lia host for unit tests of code that reaches the core only through
 * ctx->host: the download service, kernel-fetch's hooks, fc-driver's install phase.
 * Real where it matters (downloads through core/download.c, programs run by argv),
 * simple elsewhere (memo in a key=value file, settings from the command line). */
#ifndef LIA_TEST_FAKEHOST_H
#define LIA_TEST_FAKEHOST_H
#include <lia/plugin.h>

/* Parses and removes these leading options from argv:
 *   -s STATE_DIR   state dir (memo kept in STATE_DIR/fake-memo-NAME.txt)
 *   -g KEY=VALUE   a global of the lia block (mirror, download_stall_s, ...)
 *   -o KEY=VALUE   a setting of the plugin block (defaults come from opts)
 *   -q             quiet      -n   dry run
 * Messages: log and progress lines on stderr, notes on stdout as "note: ...",
 * the recorded error on stderr as "error: ...".  Returns the ctx or exits 2. */
struct lia_ctx *fake_host_init(int *argc, char ***argv, const char *name, const struct lia_option *opts,
			       lia_phase_t phase);
/* writes the memo back */
void fake_host_done(struct lia_ctx *ctx);
/* number of progress calls seen (a test checks that progress is reported) */
unsigned fake_host_progress_calls(struct lia_ctx *ctx);

#endif
