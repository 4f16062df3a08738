/* nft.c - libnftables with JSON in and out.  libnftables 1.0.6 parses JSON input only
 * when NFT_CTX_OUTPUT_JSON is set (platform notes, section 2).
 *
 * libnftables is opened on first use (dlopen), not linked: it brings libnftnl, libmnl,
 * libxtables and libgmp along, and most lia-core runs that load net-bridge (every per-VM
 * `vm start`/`vm stop`, for the bridge name it publishes) never touch nftables (issue 13).
 * The pattern of lia-core's curl_dl.c: one table of pointers of the library's own types,
 * resolved once; the Debian package names libnftables1, which dpkg-shlibdeps cannot see. */
#include "net-bridge.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <nftables/libnftables.h>

/* ABI 1 since libnftables 0.9.1 (2019) */
#define NB_LIBNFTABLES_SONAME "libnftables.so.1"

/* clang-format off */
#define NB_NFT_FUNCS(X) \
	X(nft_ctx_new) X(nft_ctx_free) X(nft_ctx_output_set_flags) X(nft_ctx_buffer_output) \
	X(nft_ctx_buffer_error) X(nft_ctx_get_output_buffer) X(nft_ctx_get_error_buffer) \
	X(nft_run_cmd_from_buffer)
#define NB_NFT_DEFINE(f) static typeof(f) *nbx_##f;
NB_NFT_FUNCS(NB_NFT_DEFINE)
#undef NB_NFT_DEFINE
/* clang-format on */
#define nft_ctx_new nbx_nft_ctx_new
#define nft_ctx_free nbx_nft_ctx_free
#define nft_ctx_output_set_flags nbx_nft_ctx_output_set_flags
#define nft_ctx_buffer_output nbx_nft_ctx_buffer_output
#define nft_ctx_buffer_error nbx_nft_ctx_buffer_error
#define nft_ctx_get_output_buffer nbx_nft_ctx_get_output_buffer
#define nft_ctx_get_error_buffer nbx_nft_ctx_get_error_buffer
#define nft_run_cmd_from_buffer nbx_nft_run_cmd_from_buffer

/* open libnftables once per process: NULL, or why not */
static const char *nft_lib(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed */
	static char why[512];

	if (state == 0) {
		/* never closed: its contexts may outlive a hook, and a plugin stays resident */
		void *h = dlopen(NB_LIBNFTABLES_SONAME, RTLD_NOW | RTLD_NODELETE);

		state = 1;
		if (!h) {
			snprintf(why, sizeof why, "cannot load %s (%s): apt-get install libnftables1",
				 NB_LIBNFTABLES_SONAME, dlerror());
			state = -1;
		}
#define NB_NFT_RESOLVE(f)                                                                            \
	if (state == 1 && !(*(void **)&nbx_##f = dlsym(h, #f))) {                                    \
		snprintf(why, sizeof why, "%s has no %s: it is too old", NB_LIBNFTABLES_SONAME, #f); \
		state = -1;                                                                          \
	}
		NB_NFT_FUNCS(NB_NFT_RESOLVE)
#undef NB_NFT_RESOLVE
	}
	return state > 0 ? NULL : why;
}

struct nft_ctx *nb_nft_open(struct lia_ctx *ctx)
{
	const char *why = nft_lib();
	struct nft_ctx *nft;

	if (why) {
		ctx->host->error(ctx, -ELIBACC, "%s", why);
		return NULL;
	}
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		ctx->host->error(ctx, -ENOMEM, "cannot create a libnftables context");
		return NULL;
	}
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	return nft;
}

void nb_nft_close(struct nft_ctx *nft)
{
	if (nft)
		nft_ctx_free(nft);
}

/* The error buffer without its trailing newlines, for a one-line message. */
static const char *err_text(struct nft_ctx *nft, char *buf, size_t len)
{
	const char *e = nft_ctx_get_error_buffer(nft);
	size_t n;

	snprintf(buf, len, "%s", e && *e ? e : "unknown error");
	for (n = strlen(buf); n && (buf[n - 1] == '\n' || buf[n - 1] == ' '); n--)
		buf[n - 1] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return buf;
}

int nb_nft_run(struct lia_ctx *ctx, struct nft_ctx *nft, json_t *cmds, const char *what)
{
	json_t *root = json_pack("{s:o}", "nftables", cmds);
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL, ebuf[512];
	int r;

	json_decref(root);
	if (!text)
		return ctx->host->error(ctx, -ENOMEM, "out of memory building nftables JSON to %s", what);
	r = nft_run_cmd_from_buffer(nft, text);
	if (r != 0) {
		ctx->host->log(ctx, LIA_LOG_DEBUG, "nftables input: %s", text);
		free(text);
		return ctx->host->error(ctx, -EIO, "nftables refused to %s: %s", what,
					err_text(nft, ebuf, sizeof ebuf));
	}
	free(text);
	return 0;
}

json_t *nb_nft_ruleset(struct lia_ctx *ctx, struct nft_ctx *nft)
{
	json_t *root, *list;
	json_error_t jerr;
	char ebuf[512];

	if (nft_run_cmd_from_buffer(nft, "{\"nftables\":[{\"list\":{\"ruleset\":null}}]}") != 0) {
		ctx->host->error(ctx, -EIO, "cannot list the nftables ruleset: %s",
				 err_text(nft, ebuf, sizeof ebuf));
		return NULL;
	}
	root = json_loads(nft_ctx_get_output_buffer(nft), 0, &jerr);
	if (!root) {
		ctx->host->error(ctx, -EIO, "nftables printed a ruleset that is not JSON: %s", jerr.text);
		return NULL;
	}
	list = json_object_get(root, "nftables");
	if (!json_is_array(list)) {
		json_decref(root);
		ctx->host->error(ctx, -EIO, "nftables printed a ruleset without \"nftables\"");
		return NULL;
	}
	json_incref(list);
	json_decref(root);
	return list;
}

json_t *nb_match_name(const char *key, const char *ifname)
{
	return json_pack("{s:{s:s,s:{s:{s:s}},s:s}}", "match", "op", "==", "left", "meta", "key", key,
			 "right", ifname);
}

json_t *nb_match_ct_established(void)
{
	return json_pack("{s:{s:s,s:{s:{s:s}},s:[s,s]}}", "match", "op", "in", "left", "ct", "key", "state",
			 "right", "established", "related");
}
