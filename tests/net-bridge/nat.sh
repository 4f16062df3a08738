#!/bin/bash
# NAT end to end.  Namespaces: host (lia's bridge + uplink veth), inet (198.51.100.1 at
# the uplink's far end, with no route back to 172.16.0.0/24), guest (a veth on the
# bridge standing in for a VM at 172.16.0.100, gateway 172.16.0.1).  The guest pings
# 198.51.100.1; nft counters in inet show which source address arrived.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
nb_need ping

nb_tmp T
nb_netns host; nb_netns inet; nb_netns guest

nb_topology "$host" "$inet" "$guest"
seen() { nb_seen "$inet" "$1"; }

conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; };")
out=$(nb_lia "$host" "$conf" run setup --only network); rc=$?
is "$rc" 0 "network phase succeeds" || diag "$out"
nb_plug_guest "$host" "$guest"

in_ns "$guest" ping -c 2 -W 2 -q 198.51.100.1 >/dev/null 2>&1
ok $? "the guest reaches 198.51.100.1 through the bridge and NAT"
is "$(seen uplink)" 2 "inet saw both echo requests from the host's uplink address 198.51.100.2"
is "$(seen guest)" 0 "inet saw none from the guest's own address"
like "$(in_ns "$host" nft list chain ip lia postrouting)" 'counter packets [1-9]' "lia's masquerade rule counted the traffic"

# NAT off: the table goes, the guest's packets leave unrewritten and get no reply
conf2=$(mk_conf "$T/nonat" "net-bridge = { nat = false; unit_dir = \"$T/units\"; };")
sed -i "s|state_dir = .*|state_dir = \"$T/state\";|" "$conf2"
out=$(nb_lia "$host" "$conf2" run setup --only network); rc=$?
is "$rc" 0 "network phase with nat = false succeeds"
like "$out" "delete nftables table ip lia" "it removes lia's NAT table"
in_ns "$host" nft list table ip lia >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "no table ip lia with nat = false"
in_ns "$guest" ping -c 2 -W 1 -q 198.51.100.1 >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "with NAT disabled the ping fails"
is "$(seen uplink)" 2 "no new requests from the uplink address"
is "$(seen guest)" 2 "the requests arrived with the guest's unrewritten address"

# and back on: works again
out=$(nb_lia "$host" "$conf" run setup --only network); rc=$?
in_ns "$guest" ping -c 1 -W 2 -q 198.51.100.1 >/dev/null 2>&1
ok $? "NAT on again: the ping works again"

done_testing
