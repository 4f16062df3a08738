#!/bin/bash
# vm create --ssh-key takes OpenSSH public keys only (issue 10 #11): a private key,
# /etc/shadow-like text, "hello world" or a line with quotes is refused with exit 2 and
# leaves no record; a private key is refused loudly and never echoed.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
command -v ssh-keygen >/dev/null || skip_all "ssh-keygen is not installed"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; };" >/dev/null
V=$T/state/vms
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }
ssh-keygen -q -t ed25519 -N '' -C 'me@lia test' -f "$T/id" || bail "ssh-keygen"

refused() { # NAME FILE REGEX DESC
	out=$(L -q vm create "$1" --ssh-key "$2" 2>&1); rc=$?
	is "$rc" 2 "$4: exit 2"
	like "$out" "$3" "$4: the message says why"
	test ! -e "$V/$1.json"; ok $? "$4: no record"
}
refused a "$T/id" "PRIVATE key" "a private key"
out=$(L -q vm create a --ssh-key "$T/id" 2>&1)
case "$out" in *"$(sed -n 2p "$T/id")"*) ok 1 "the private key is not echoed" ;; *) ok 0 "the private key is not echoed" ;; esac
printf 'root:$6$salt$hash:19000:0:99999:7:::\n' > "$T/shadow"
refused b "$T/shadow" "shadow:1: not an OpenSSH public key" "a shadow file"
echo "hello world" > "$T/hello"
refused c "$T/hello" "hello:1: not an OpenSSH public key" "'hello world'"
printf 'ssh-ed25519 "AAAA" x\n' > "$T/quoted"
refused d "$T/quoted" "quoted:1: not an OpenSSH public key" "a line with quotes"
: > "$T/empty"
refused e "$T/empty" "holds no key" "an empty file"

L -q vm create good --ssh-key "$T/id.pub"; ok $? "a public key is accepted"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_key"])' "$V/good.json")" "$(cat "$T/id.pub")" \
	"and recorded as it is"
ssh-keygen -q -t rsa -b 1024 -N '' -f "$T/id2" || bail "ssh-keygen"
{ echo "# two keys"; cat "$T/id.pub" "$T/id2.pub"; } > "$T/two"
out=$(L -q vm create two --ssh-key "$T/two" 2>&1); rc=$?
is "$rc" 0 "a file of two public keys is accepted" || diag "$out"
like "$out" "holds 2 keys; the guest takes one: the first" "saying the guest takes the first"
done_testing
