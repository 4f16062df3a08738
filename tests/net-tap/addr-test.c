/* addr-test - net-tap's pure logic: address parsing, MACs, TAP names (TAP output). */
#include "net-tap.h"

#include <stdio.h>
#include <string.h>

static int n, failed;

static void is(const char *got, const char *want, const char *what)
{
	int ok = strcmp(got, want) == 0;
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n, what);
	if (!ok) {
		printf("#   got:  '%s'\n#   want: '%s'\n", got, want);
		failed++;
	}
}

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

int main(void)
{
	char buf[32], a[IFNAMSIZ], b[IFNAMSIZ];
	uint32_t ip;

	ok(nt_parse_ip4("172.16.0.100", &ip) == 0 && ip == 0xAC100064u, "parse 172.16.0.100");
	ok(nt_parse_ip4("172.16.0", &ip) < 0, "refuse 172.16.0");
	ok(nt_parse_ip4("", &ip) < 0, "refuse empty address");
	nt_fmt_ip4(0xAC1000FEu, buf);
	is(buf, "172.16.0.254", "format 172.16.0.254");
	nt_fmt_mac(0xAC100064u, buf);
	is(buf, "06:00:AC:10:00:64", "MAC of 172.16.0.100 as in Firecracker's docs");
	nt_fmt_mac(0x0A0000FFu, buf);
	is(buf, "06:00:0A:00:00:FF", "MAC of 10.0.0.255");

	ok(nt_tap_name("web", -1, a) == 0, "short name is used as is");
	is(a, "tap-vm-web", "tap-vm-web");
	ok(nt_tap_name("abcdefg", -1, a) == 0 && strlen(a) == 14, "7 characters still fit");
	ok(nt_tap_name("abcdefgh", -1, a) == -1, "8 characters need a lease");
	ok(nt_tap_name("abcdefgh", 0, a) == 1, "and take the lease form");
	is(a, "tap-vm-_0", "tap-vm-_0 for lease 0");
	/* the pair whose 32-bit FNV hashes collided in the old scheme (issue 10 #3) */
	nt_tap_name("agent-1522789", 3, a);
	nt_tap_name("agent-1739192", 4, b);
	ok(strcmp(a, b) != 0, "different leases give different TAPs whatever the names");
	ok(nt_tap_name("agent-1522789", NT_TAP_LEASE_MAX, a) == 1 && strlen(a) <= IFNAMSIZ - 1,
	   "the largest lease still fits IFNAMSIZ");
	is(a, "tap-vm-_9999999", "tap-vm-_9999999");
	ok(nt_tap_name("agent-1522789", NT_TAP_LEASE_MAX + 1LL, a) == -1,
	   "a lease beyond the range is refused");
	ok(strchr(a, '_') != NULL && !nt_tap_fits("a_b"),
	   "the lease form has a '_', which no short form contains");
	ok(nt_tap_name("a:b", 7, a) == 1 && !strchr(a, ':'), "unsafe characters take the lease form");
	ok(nt_tap_name("vm%d", 7, a) == 1 && !strchr(a, '%'),
	   "'%' (a kernel name pattern) takes the lease form");
	ok(!nt_tap_fits("WEB"), "upper case (not a VM name) takes the lease form");
	printf("1..%d\n", n);
	return failed != 0;
}
