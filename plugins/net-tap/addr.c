/* addr.c - addresses, MACs and TAP names: pure functions, no I/O. */
#include "net-tap.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

int nt_parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

void nt_fmt_ip4(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void nt_fmt_mac(uint32_t ip, char out[18])
{
	snprintf(out, 18, "06:00:%02X:%02X:%02X:%02X", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* VM names are [a-z0-9-] (the core checks); the short form takes only those, so it
 * never contains the '_' that marks the lease form */
static int short_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

int nt_tap_fits(const char *vm)
{
	return *vm && strlen(NT_PREFIX) + strlen(vm) < IFNAMSIZ - 1 && short_ok(vm);
}

int nt_tap_name(const char *vm, long long lease, char out[IFNAMSIZ])
{
	if (nt_tap_fits(vm)) {
		snprintf(out, IFNAMSIZ, NT_PREFIX "%s", vm);
		return 0;
	}
	if (lease < 0 || lease > NT_TAP_LEASE_MAX)
		return -1;
	snprintf(out, IFNAMSIZ, NT_PREFIX "_%lld", lease);
	return 1;
}
