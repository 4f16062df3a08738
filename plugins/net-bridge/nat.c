/* nat.c - the seed's three iptables rules as nftables objects lia owns: table "ip lia"
 * with a nat postrouting chain (masquerade the VM subnet out of the uplink) and a filter
 * forward chain (bridge -> uplink, and uplink -> bridge for established/related).
 * Replaced in one atomic batch, removed with one delete.  Each rule carries a comment
 * naming what it does, which is how a later run sees that nothing needs to change. */
#include "net-bridge.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#define NCHAINS 2
#define NRULES 3

/* The comments of the three rules, in chain order. */
static void rule_comments(struct nb_state *st, const char *uplink, char c[NRULES][128])
{
	snprintf(c[0], 128, "lia net-bridge: masquerade %s/%d out %s", st->subnet, st->prefix, uplink);
	snprintf(c[1], 128, "lia net-bridge: forward %s to %s", st->bridge, uplink);
	snprintf(c[2], 128, "lia net-bridge: forward %s to %s established", uplink, st->bridge);
}

static const char *const chain_rule[NRULES] = { "postrouting", "forward", "forward" };

static int is_ours(json_t *obj)
{
	return !strcmp(json_string_value(json_object_get(obj, "family")) ?: "", "ip") &&
	       !strcmp(json_string_value(json_object_get(obj, "table")) ?: "", NB_TABLE);
}

int nb_table_exists(json_t *ruleset)
{
	size_t i;
	json_t *it, *t;

	json_array_foreach(ruleset, i, it)
	{
		t = json_object_get(it, "table");
		if (t && !strcmp(json_string_value(json_object_get(t, "family")) ?: "", "ip") &&
		    !strcmp(json_string_value(json_object_get(t, "name")) ?: "", NB_TABLE))
			return 1;
	}
	return 0;
}

static int chain_ok(json_t *c, const char *type, const char *hook, int prio)
{
	return !strcmp(json_string_value(json_object_get(c, "type")) ?: "", type) &&
	       !strcmp(json_string_value(json_object_get(c, "hook")) ?: "", hook) &&
	       json_integer_value(json_object_get(c, "prio")) == prio &&
	       !strcmp(json_string_value(json_object_get(c, "policy")) ?: "", "accept");
}

int nb_nat_check(struct lia_ctx *ctx, struct nb_state *st, json_t *ruleset, const char *uplink)
{
	char want[NRULES][128];
	int seen[NRULES] = { 0 }, chains = 0, extra = 0, k;
	size_t i;
	json_t *it, *o;

	if (!nb_table_exists(ruleset))
		return -1;
	rule_comments(st, uplink, want);
	json_array_foreach(ruleset, i, it)
	{
		if ((o = json_object_get(it, "chain")) && is_ours(o)) {
			const char *n = json_string_value(json_object_get(o, "name")) ?: "";
			if (!strcmp(n, "postrouting") && chain_ok(o, "nat", "postrouting", 100))
				chains++;
			else if (!strcmp(n, "forward") && chain_ok(o, "filter", "forward", 0))
				chains++;
			else
				extra++;
		} else if ((o = json_object_get(it, "rule")) && is_ours(o)) {
			const char *c = json_string_value(json_object_get(o, "comment")) ?: "";
			const char *ch = json_string_value(json_object_get(o, "chain")) ?: "";
			for (k = 0; k < NRULES; k++)
				if (!strcmp(c, want[k]) && !strcmp(ch, chain_rule[k]) && !seen[k])
					break;
			if (k < NRULES)
				seen[k] = 1;
			else
				extra++;
		} else if ((o = json_object_get(it, "set")) || (o = json_object_get(it, "map"))) {
			if (is_ours(o))
				extra++;
		}
	}
	for (k = 0; k < NRULES; k++)
		if (!seen[k])
			return 0;
	return chains == NCHAINS && !extra;
}

static json_t *table_obj(void)
{
	return json_pack("{s:{s:s,s:s}}", "table", "family", "ip", "name", NB_TABLE);
}

static json_t *chain_obj(const char *name, const char *type, const char *hook, int prio)
{
	return json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:i,s:s}}", "chain", "family", "ip", "table", NB_TABLE,
			 "name", name, "type", type, "hook", hook, "prio", prio, "policy", "accept");
}

static json_t *rule_obj(const char *chain, const char *comment, json_t *expr)
{
	return json_pack("{s:{s:{s:s,s:s,s:s,s:s,s:o}}}", "add", "rule", "family", "ip", "table", NB_TABLE,
			 "chain", chain, "comment", comment, "expr", expr);
}

int nb_nat_replace(struct lia_ctx *ctx, struct nb_state *st, struct nft_ctx *nft, const char *uplink)
{
	char c[NRULES][128];
	json_t *cmds = json_array();

	rule_comments(st, uplink, c);
	/* add + delete + add: one transaction that works whether or not the table exists
	 * (nft 1.0.6 has no "destroy"), so a re-run never duplicates rules */
	json_array_append_new(cmds, json_pack("{s:o}", "add", table_obj()));
	json_array_append_new(cmds, json_pack("{s:o}", "delete", table_obj()));
	json_array_append_new(cmds, json_pack("{s:o}", "add", table_obj()));
	json_array_append_new(cmds,
			      json_pack("{s:o}", "add", chain_obj("postrouting", "nat", "postrouting", 100)));
	json_array_append_new(cmds, json_pack("{s:o}", "add", chain_obj("forward", "filter", "forward", 0)));
	json_array_append_new(
		cmds, rule_obj("postrouting", c[0],
			       json_pack("[{s:{s:s,s:{s:{s:s,s:s}},s:{s:{s:s,s:i}}}},o,{s:n},{s:n}]", "match",
					 "op", "==", "left", "payload", "protocol", "ip", "field", "saddr",
					 "right", "prefix", "addr", st->subnet, "len", st->prefix,
					 nb_match_name("oifname", uplink), "counter", "masquerade")));
	json_array_append_new(cmds,
			      rule_obj("forward", c[1],
				       json_pack("[o,o,{s:n},{s:n}]", nb_match_name("iifname", st->bridge),
						 nb_match_name("oifname", uplink), "counter", "accept")));
	json_array_append_new(cmds,
			      rule_obj("forward", c[2],
				       json_pack("[o,o,o,{s:n},{s:n}]", nb_match_name("iifname", uplink),
						 nb_match_name("oifname", st->bridge),
						 nb_match_ct_established(), "counter", "accept")));
	return nb_nft_run(ctx, nft, cmds, "replace table ip " NB_TABLE);
}

int nb_nat_delete(struct lia_ctx *ctx, struct nft_ctx *nft)
{
	json_t *cmds = json_array();

	json_array_append_new(cmds, json_pack("{s:o}", "add", table_obj()));
	json_array_append_new(cmds, json_pack("{s:o}", "delete", table_obj()));
	return nb_nft_run(ctx, nft, cmds, "delete table ip " NB_TABLE);
}
