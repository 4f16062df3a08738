#!/bin/bash
# rootfs/etc/init.d/lia-init, run with busybox sh against sample kernel command lines
# (LIA_CMDLINE), writing under a temp root (LIA_ROOT), printing the ip commands
# (LIA_DRYRUN): addresses, the percent-encoded key with spaces and a comment, and
# hostile values that must be refused without being executed.
. "$(dirname "$0")/../lib.sh"
[ -x /bin/busybox ] || skip_all "/bin/busybox is not installed (busybox-static)"
INIT=$top_srcdir/rootfs/etc/init.d/lia-init
T=$(mk_tmp)
cleanup "rm -rf '$T'" # mk_tmp's own cleanup runs in its $(...) subshell
KEY_B64=AAAAC3NzaC1lZDI1NTE5AAAAIE0tq7a1vNbR0I3qS9c2vYfT4cX8dN1Gq5d9Xo6bQ2kP

# li NAME CMDLINE: run lia-init; stdout+stderr in $OUT, status in $RC, root $T/NAME
li() {
	mkdir -p "$T/$1"
	printf '%s\n' "$2" >"$T/$1.cmdline"
	OUT=$(cd "$T/$1" && LIA_CMDLINE="$T/$1.cmdline" LIA_ROOT="$T/$1" LIA_DRYRUN=1 \
		busybox sh "$INIT" 2>&1)
	RC=$?
}
keyfile() { cat "$T/$1/root/.ssh/authorized_keys" 2>/dev/null; }

li plain "console=ttyS0 reboot=k panic=1 pci=off lia.ip=172.16.0.100 lia.gateway=172.16.0.1 lia.ssh_key=ssh-ed25519%20$KEY_B64%20alice@laptop%20work%20key init=/sbin/init"
is "$RC" 0 "a good command line: exit 0"
is "$(printf '%s\n' "$OUT" | grep '^ip ')" "ip link set lo up
ip link set eth0 up
ip addr flush dev eth0
ip addr add 172.16.0.100/24 dev eth0
ip route replace default via 172.16.0.1 dev eth0" "eth0 gets 172.16.0.100/24 and the default route"
is "$(keyfile plain)" "ssh-ed25519 $KEY_B64 alice@laptop work key" \
	"the key with spaces in its comment is decoded whole"
is "$(stat -c %a "$T/plain/root/.ssh")" 700 "/root/.ssh is 0700"
is "$(stat -c %a "$T/plain/root/.ssh/authorized_keys")" 600 "authorized_keys is 0600"
is "$(ls -A "$T/plain/root/.ssh")" "authorized_keys" "no temp file is left next to it"

li prefix "lia.ip=10.1.2.3 lia.prefix=16 lia.gateway=10.1.0.1"
like "$OUT" "ip addr add 10.1.2.3/16 dev eth0" "lia.prefix sets the prefix length"
[ ! -e "$T/prefix/root/.ssh/authorized_keys" ]
ok $? "no lia.ssh_key: authorized_keys is not written"

li lower "lia.ssh_key=ssh-ed25519%20${KEY_B64}%20%28percent%25%29%3b%22q%22"
is "$(keyfile lower)" "ssh-ed25519 $KEY_B64 (percent%);\"q\"" \
	"escapes decode in either case, including %, ; and quotes as plain text"

li none "console=ttyS0 quiet"
is "$RC" 0 "no lia.* parameter: exit 0"
like "$OUT" "no lia.ip" "it says eth0 is left alone"
is "$(printf '%s\n' "$OUT" | grep -c '^ip ')" 0 "and runs no ip command"

# hostile values: never executed, never written, exit 1
touch "$T/canary"
hostile() { # NAME CMDLINE DESCRIPTION
	li "$1" "$2"
	is "$RC" 1 "$3: refused (exit 1)"
	[ ! -e "$T/$1/root/.ssh/authorized_keys" ] && [ ! -e "$T/pwned" ] && [ -e "$T/canary" ]
	ok $? "$3: nothing written, nothing run"
}
hostile q1 "lia.ssh_key=\"ssh-ed25519 $KEY_B64 me\"" "a kernel-quoted key (quotes, spaces)"
hostile semi "lia.ssh_key=ssh-ed25519%20$KEY_B64;touch%20$T/pwned" "a raw ';' in the key"
hostile subst "lia.ssh_key=\$(touch\$IFS$T/pwned)" "\$(...) in the key"
hostile bq "lia.ssh_key=\`touch\${IFS}$T/pwned\`" "backquotes in the key"
hostile nl "lia.ssh_key=ssh-ed25519%20$KEY_B64%0acommand=%22touch%20$T/pwned%22%20ssh-ed25519%20$KEY_B64" \
	"an encoded newline (a second authorized_keys line)"
hostile opt "lia.ssh_key=command=%22touch%20$T/pwned%22%20ssh-ed25519%20$KEY_B64" \
	"an authorized_keys option before the key"
hostile badesc "lia.ssh_key=ssh-ed25519%20$KEY_B64%2" "a cut escape"
hostile nul "lia.ssh_key=ssh-ed25519%20$KEY_B64%00x" "an encoded NUL"
hostile badb64 "lia.ssh_key=ssh-ed25519%20AAAA\$(id)" "shell text where the base64 goes"
hostile badtype "lia.ssh_key=rm%20-rf%20/" "an unknown key type"

li ipbad "lia.ip=172.16.0.100\$(touch\$IFS$T/pwned) lia.gateway=1.2.3.4;reboot"
is "$RC" 1 "a hostile lia.ip and lia.gateway are refused"
is "$(printf '%s\n' "$OUT" | grep -c '^ip ')" 0 "no ip command runs with them"
[ ! -e "$T/pwned" ]
ok $? "nothing was executed"
like "$OUT" "refusing lia.ip" "the refusal is logged"

for bad in 256.1.1.1 1.2.3 1.2.3.4.5 1..2.3 -1.2.3.4 "1.2.3.4/8" "*" "1.2.3.a"; do
	li ipv "lia.ip=$bad"
	is "$RC" 1 "lia.ip=$bad is refused"
done
li pfx "lia.ip=10.0.0.2 lia.prefix=33"
is "$RC" 1 "lia.prefix=33 is refused"
is "$(printf '%s\n' "$OUT" | grep -c '^ip addr add')" 0 "and no address is set"

# a glob in the command line must not expand to file names
mkdir -p "$T/glob"
touch "$T/glob/lia.ip=9.9.9.9"
li glob "lia.ip=*"
is "$(printf '%s\n' "$OUT" | grep -c '9.9.9.9')" 0 "a '*' on the command line is not globbed"

# an existing authorized_keys is replaced, not appended to
li again "lia.ssh_key=ssh-ed25519%20$KEY_B64%20first"
li again "lia.ssh_key=ssh-ed25519%20$KEY_B64%20second"
is "$(keyfile again)" "ssh-ed25519 $KEY_B64 second" "a later boot replaces the key"

# the data volume is mounted on /workspace when /dev/vdb exists
if mkdir -p "$T/vol/dev" && mknod "$T/vol/dev/vdb" b 254 16 2>/dev/null; then
	li vol "lia.ip=10.0.0.2"
	like "$OUT" "mount -t ext4 -o noatime $T/vol/dev/vdb $T/vol/workspace" "/dev/vdb is mounted on /workspace"
else
	skip "cannot mknod a block device here (not root?)"
fi
done_testing
