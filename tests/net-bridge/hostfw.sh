#!/bin/bash
# A host FORWARD chain with policy drop (what Docker installs with iptables -P FORWARD
# DROP; iptables-nft shows it to nftables as "ip filter FORWARD"): preflight warns,
# verify reports it, open_host_forward = true adds two accept rules there, a re-run adds
# nothing, and teardown removes exactly those two rules.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
nb_need ping iptables
iptables -V 2>/dev/null | grep -q nf_tables || skip_all "iptables is not the nf_tables backend"

nb_tmp T
nb_netns host; nb_netns inet; nb_netns guest
nb_topology "$host" "$inet" "$guest"
in_ns "$host" iptables -P FORWARD DROP
in_ns "$host" iptables -A FORWARD -s 10.9.9.9 -j ACCEPT   # a rule that is not lia's
fw_before=$(in_ns "$host" iptables -S FORWARD)

conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; };")
out=$(nb_lia "$host" "$conf" run setup --only preflight,network); rc=$?
is "$rc" 0 "setup succeeds with a dropping FORWARD chain"
like "$out" "host chain 'ip filter FORWARD' has policy drop" "preflight warns about ip filter FORWARD"
nb_plug_guest "$host" "$guest"
in_ns "$guest" ping -c 1 -W 1 -q 198.51.100.1 >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "the drop policy blocks the guest despite lia's own accept rules"
out=$(nb_lia "$host" "$conf" run setup --only verify); rc=$?
is "$rc" 1 "verify fails"
like "$out" "'ip filter FORWARD' has policy drop at hook forward and no lia accept rules" "verify reports the host FORWARD chain"

conf2=$(mk_conf "$T/open" "net-bridge = { open_host_forward = true; unit_dir = \"$T/units\"; };")
sed -i "s|state_dir = .*|state_dir = \"$T/state\";|" "$conf2"
out=$(nb_lia "$host" "$conf2" run setup --only network); rc=$?
is "$rc" 0 "open_host_forward = true: network phase succeeds" || diag "$out"
like "$out" "accept lia-br0 <-> up0 in the host chain 'ip filter FORWARD'" "it says it opens the host chain"
in_ns "$guest" ping -c 2 -W 2 -q 198.51.100.1 >/dev/null 2>&1
ok $? "the guest reaches 198.51.100.1 through the dropping FORWARD chain"
is "$(nb_seen "$inet" uplink)" 2 "and arrives NATed"
out=$(nb_lia "$host" "$conf2" run setup --only verify); rc=$?
is "$rc" 0 "verify passes with the accept rules in place"
n1=$(in_ns "$host" iptables -S FORWARD | grep -c 'lia net-bridge host-forward')
is "$n1" 2 "two lia rules in iptables' FORWARD chain"
ipt=$(in_ns "$host" iptables -S FORWARD 2>&1); rc=$?
is "$rc" 0 "iptables still lists the chain"
like "$ipt" "^-P FORWARD DROP" "the policy is untouched"
out=$(nb_lia "$host" "$conf2" run setup --only network)
is "$(in_ns "$host" iptables -S FORWARD | grep -c 'lia net-bridge host-forward')" 2 "a second run adds nothing"

out=$(nb_lia "$host" "$conf2" run teardown); rc=$?
is "$rc" 0 "teardown succeeds" || diag "$out"
is "$(in_ns "$host" iptables -S FORWARD)" "$fw_before" "teardown leaves the host FORWARD chain exactly as it was"
in_ns "$host" nft list table ip lia >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "and lia's table is gone"

done_testing
