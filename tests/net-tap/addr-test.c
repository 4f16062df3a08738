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

	ok(nt_tap_name("web", a) == 0, "short name is used as is");
	is(a, "tap-vm-web", "tap-vm-web");
	ok(nt_tap_name("abcdefg", a) == 0 && strlen(a) == 14, "7 characters still fit");
	ok(nt_tap_name("abcdefgh", a) == 1 && strlen(a) == IFNAMSIZ - 1,
	   "8 characters are hashed: a short form can never equal a hashed one");
	ok(nt_tap_name("a-very-long-vm-name-0001", a) == 1, "long name is hashed");
	nt_tap_name("a-very-long-vm-name-0001", b);
	is(a, b, "the hashed name is deterministic");
	nt_tap_name("a-very-long-vm-name-0002", b);
	ok(strcmp(a, b) != 0, "names differing only at the end get different TAPs");
	ok(strncmp(a, NT_PREFIX, strlen(NT_PREFIX)) == 0 && strlen(a) < IFNAMSIZ,
	   "hashed name keeps the tap-vm- prefix within IFNAMSIZ");
	ok(nt_tap_name("a:b", a) == 1 && !strchr(a, ':'), "unsafe characters are hashed away");
	ok(nt_tap_name("vm%d", a) == 1 && !strchr(a, '%'), "'%' (a kernel name pattern) is hashed away");
	printf("1..%d\n", n);
	return failed != 0;
}
