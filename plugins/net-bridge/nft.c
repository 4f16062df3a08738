/* nft.c - libnftables with JSON in and out.  libnftables 1.0.6 parses JSON input only
 * when NFT_CTX_OUTPUT_JSON is set (platform notes, section 2). */
#include "net-bridge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <nftables/libnftables.h>

struct nft_ctx *nb_nft_open(struct lia_ctx *ctx)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!nft) {
		ctx->host->error(ctx, -ENOMEM, "cannot create a libnftables context");
		return NULL;
	}
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	return nft;
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
