/* hostfw.c - host firewalls that would still drop VM traffic.  An accept in our own
 * table only ends our base chain: another table's base chain at hook forward with
 * policy drop (Docker's `iptables -P FORWARD DROP`, which iptables-nft shows to nftables
 * as "ip filter FORWARD") still drops the packet.  We find such chains in the nftables
 * ruleset and, when open_host_forward is set, insert the two accept rules there,
 * marked by a comment so that teardown removes exactly those rules.
 *
 * iptables-nft's own chain gets its rules through `iptables` (argv, no shell): a native
 * nftables `ct state` match makes iptables-nft 1.8.9 call the whole chain
 * "incompatible", which would break Docker's own management of it.  Other chains
 * (a plain nftables firewall) get native rules.  Rules in iptables-legacy tables are
 * not visible through nftables (a known gap). */
#include "net-bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#define HF_PREFIX "lia net-bridge host-forward:"
#define IPT_OUT 65536

static void comments(struct nb_state *st, const char *uplink, char out_c[128], char in_c[128])
{
	snprintf(out_c, 128, HF_PREFIX " %s to %s", st->bridge, uplink);
	snprintf(in_c, 128, HF_PREFIX " %s to %s established", uplink, st->bridge);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "";
}

static int foreign_drop_chain(json_t *c)
{
	const char *fam = str(c, "family");

	if (strcmp(str(c, "hook"), "forward") || strcmp(str(c, "policy"), "drop"))
		return 0;
	if (strcmp(fam, "ip") && strcmp(fam, "inet"))
		return 0; /* ip6, bridge, arp and netdev chains do not see our IPv4 traffic */
	return !(strcmp(fam, "ip") == 0 && strcmp(str(c, "table"), NB_TABLE) == 0);
}

/* the chain iptables(-nft) manages: the only one we change through `iptables` */
static int is_ipt(const struct nb_fwchain *c)
{
	return !strcmp(c->family, "ip") && !strcmp(c->table, "filter") && !strcmp(c->chain, "FORWARD");
}

static int same_chain(json_t *rule, const struct nb_fwchain *c)
{
	return !strcmp(str(rule, "family"), c->family) && !strcmp(str(rule, "table"), c->table) &&
	       !strcmp(str(rule, "chain"), c->chain);
}

static int has_chain(json_t *ruleset, const char *fam, const char *table, const char *chain)
{
	size_t i;
	json_t *it, *o;

	json_array_foreach(ruleset, i, it) if ((o = json_object_get(it, "chain")) &&
					       !strcmp(str(o, "family"), fam) &&
					       !strcmp(str(o, "table"), table) &&
					       !strcmp(str(o, "name"), chain)) return 1;
	return 0;
}

/* ---- iptables(-nft) ------------------------------------------------------------------ */

static int ipt(struct lia_ctx *ctx, const char *const *argv, char *out, size_t len)
{
	int status = 0, r = ctx->host->run(ctx, argv, out, len, &status);

	if (r < 0)
		return r;
	if (status != 0) {
		char *nl = strchr(out, '\n');
		if (nl && nl[1] == 0)
			*nl = 0;
		return ctx->host->error(ctx, -EIO, "`iptables %s %s` failed (exit %d): %s", argv[2], argv[3],
					status, out);
	}
	return 0;
}

/* `iptables -S FORWARD` into a malloc'd buffer */
static char *ipt_list(struct lia_ctx *ctx)
{
	const char *argv[] = { "iptables", "-w", "-S", "FORWARD", NULL };
	char *out = malloc(IPT_OUT);

	if (!out) {
		ctx->host->error(ctx, -ENOMEM, "out of memory listing iptables FORWARD");
		return NULL;
	}
	if (ipt(ctx, argv, out, IPT_OUT) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int ipt_has(const char *listing, const char *comment)
{
	char want[200];

	snprintf(want, sizeof want, "--comment \"%s\"", comment);
	return strstr(listing, want) != NULL;
}

/* Delete every rule of the listing that carries our comment: the -S line with -A
 * turned into -D is exactly the rule (tokens split at spaces, "..." kept together). */
static int ipt_delete_ours(struct lia_ctx *ctx, char *listing, int *count)
{
	char *save = NULL, err[512];

	for (char *line = strtok_r(listing, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *argv[64];
		int n = 0, r;
		char *p = line;

		if (!strstr(line, HF_PREFIX) || strncmp(line, "-A ", 3))
			continue;
		argv[n++] = "iptables";
		argv[n++] = "-w";
		while (*p && n < 62) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			if (*p == '"') {
				argv[n++] = ++p;
				p = strchr(p, '"');
				if (!p)
					break;
			} else {
				argv[n++] = p;
				p += strcspn(p, " ");
			}
			if (*p)
				*p++ = 0;
		}
		argv[n] = NULL;
		argv[2] = "-D";
		if ((r = ipt(ctx, argv, err, sizeof err)) < 0)
			return r;
		(*count)++;
	}
	return 0;
}

static int ipt_open(struct lia_ctx *ctx, struct nb_state *st, const char *uplink)
{
	char oc[128], ic[128], out[512], *listing = ipt_list(ctx);
	int r, n = 0;

	if (!listing)
		return -EIO;
	r = ipt_delete_ours(ctx, listing, &n); /* an earlier bridge/uplink pair */
	free(listing);
	if (r < 0)
		return r;
	comments(st, uplink, oc, ic);
	const char *in[] = { "iptables",
			     "-w",
			     "-I",
			     "FORWARD",
			     "1",
			     "-i",
			     uplink,
			     "-o",
			     st->bridge,
			     "-m",
			     "conntrack",
			     "--ctstate",
			     "RELATED,ESTABLISHED",
			     "-m",
			     "comment",
			     "--comment",
			     ic,
			     "-j",
			     "ACCEPT",
			     NULL };
	const char *outr[] = { "iptables", "-w", "-I",      "FORWARD",   "1", "-i", st->bridge, "-o",
			       uplink,     "-m", "comment", "--comment", oc,  "-j", "ACCEPT",   NULL };
	if ((r = ipt(ctx, in, out, sizeof out)) < 0)
		return r;
	return ipt(ctx, outr, out, sizeof out);
}

/* ---- scan, open, close ---------------------------------------------------------------- */

int nb_hostfw_scan(struct lia_ctx *ctx, struct nb_state *st, json_t *ruleset, const char *uplink,
		   struct nb_fwchain *out, int max)
{
	char oc[128], ic[128];
	int n = 0, k;
	size_t i;
	json_t *it, *o;

	comments(st, uplink, oc, ic);
	json_array_foreach(ruleset, i, it)
	{
		if (n >= max)
			break;
		if (!(o = json_object_get(it, "chain")) || !foreign_drop_chain(o))
			continue;
		snprintf(out[n].family, sizeof out[n].family, "%s", str(o, "family"));
		snprintf(out[n].table, sizeof out[n].table, "%s", str(o, "table"));
		snprintf(out[n].chain, sizeof out[n].chain, "%s", str(o, "name"));
		out[n].has_ours = 0;
		n++;
	}
	for (k = 0; k < n; k++) {
		int got = 0;
		if (is_ipt(&out[k])) {
			char *listing = ipt_list(ctx);
			if (!listing)
				return -EIO;
			out[k].has_ours = ipt_has(listing, oc) && ipt_has(listing, ic);
			free(listing);
			continue;
		}
		json_array_foreach(ruleset, i, it)
		{
			if (!(o = json_object_get(it, "rule")) || !same_chain(o, &out[k]))
				continue;
			if (!strcmp(str(o, "comment"), oc))
				got |= 1;
			else if (!strcmp(str(o, "comment"), ic))
				got |= 2;
		}
		out[k].has_ours = got == 3;
	}
	return n;
}

static json_t *delete_rule(json_t *r)
{
	return json_pack("{s:{s:{s:s,s:s,s:s,s:O}}}", "delete", "rule", "family", str(r, "family"), "table",
			 str(r, "table"), "chain", str(r, "chain"), "handle", json_object_get(r, "handle"));
}

static json_t *insert_rule(const struct nb_fwchain *c, const char *comment, json_t *expr)
{
	return json_pack("{s:{s:{s:s,s:s,s:s,s:s,s:o}}}", "insert", "rule", "family", c->family, "table",
			 c->table, "chain", c->chain, "comment", comment, "expr", expr);
}

static int is_hf_rule(json_t *r)
{
	return !strncmp(str(r, "comment"), HF_PREFIX, strlen(HF_PREFIX));
}

int nb_hostfw_open(struct lia_ctx *ctx, struct nb_state *st, struct nft_ctx *nft, json_t *ruleset,
		   const char *uplink)
{
	struct nb_fwchain ch[16];
	char oc[128], ic[128];
	int n = nb_hostfw_scan(ctx, st, ruleset, uplink, ch, 16), k, todo = 0, r;
	size_t i;
	json_t *cmds, *it, *o;

	if (n < 0)
		return n;
	cmds = json_array();
	comments(st, uplink, oc, ic);
	for (k = 0; k < n; k++) {
		if (ch[k].has_ours)
			continue;
		ctx->host->note(ctx, "accept %s <-> %s in the host chain '%s %s %s' (policy drop)",
				st->bridge, uplink, ch[k].family, ch[k].table, ch[k].chain);
		if (is_ipt(&ch[k])) {
			if ((r = ipt_open(ctx, st, uplink)) < 0) {
				json_decref(cmds);
				return r;
			}
			continue;
		}
		todo++;
		/* rules of an earlier bridge/uplink pair go first */
		json_array_foreach(ruleset, i, it) if ((o = json_object_get(it, "rule")) &&
						       same_chain(o, &ch[k]) && is_hf_rule(o))
			json_array_append_new(cmds, delete_rule(o));
		/* insert: ahead of the chain's own rules, like Docker's DOCKER-USER advice */
		json_array_append_new(cmds,
				      insert_rule(&ch[k], ic,
						  json_pack("[o,o,o,{s:n}]", nb_match_name("iifname", uplink),
							    nb_match_name("oifname", st->bridge),
							    nb_match_ct_established(), "accept")));
		json_array_append_new(
			cmds, insert_rule(&ch[k], oc,
					  json_pack("[o,o,{s:n}]", nb_match_name("iifname", st->bridge),
						    nb_match_name("oifname", uplink), "accept")));
	}
	if (!todo) {
		json_decref(cmds);
		return 0;
	}
	return nb_nft_run(ctx, nft, cmds, "add lia's accept rules to a host FORWARD chain");
}

int nb_hostfw_count(struct lia_ctx *ctx, json_t *ruleset)
{
	size_t i;
	int n = 0;
	json_t *it, *o;

	json_array_foreach(ruleset, i, it) if ((o = json_object_get(it, "rule")) && is_hf_rule(o)) n++;
	if (has_chain(ruleset, "ip", "filter", "FORWARD")) {
		char *listing = ipt_list(ctx), *p;
		if (!listing)
			return -EIO;
		for (p = listing; (p = strstr(p, HF_PREFIX)); p++)
			n++;
		free(listing);
	}
	return n;
}

int nb_hostfw_close(struct lia_ctx *ctx, struct nft_ctx *nft, json_t *ruleset)
{
	size_t i;
	int n = 0, r;
	json_t *cmds = json_array(), *it, *o;

	if (has_chain(ruleset, "ip", "filter", "FORWARD")) {
		char *listing = ipt_list(ctx);
		if (!listing) {
			json_decref(cmds);
			return -EIO;
		}
		r = ipt_delete_ours(ctx, listing, &n);
		free(listing);
		if (r < 0) {
			json_decref(cmds);
			return r;
		}
	}
	json_array_foreach(ruleset, i, it) if ((o = json_object_get(it, "rule")) && is_hf_rule(o))
	{
		json_array_append_new(cmds, delete_rule(o));
		n++;
	}
	if (json_array_size(cmds) == 0) {
		json_decref(cmds);
		return n;
	}
	r = nb_nft_run(ctx, nft, cmds, "remove lia's accept rules from a host FORWARD chain");
	return r < 0 ? r : n;
}
