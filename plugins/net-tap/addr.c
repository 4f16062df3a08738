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
	snprintf(out, 18, "06:00:%02X:%02X:%02X:%02X", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
}

/* characters that are safe in an interface name everywhere (ip, nft, udev) */
static int safe(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

int nt_tap_name(const char *vm, char out[IFNAMSIZ])
{
	size_t plen = strlen(NT_PREFIX);
	uint32_t h = 2166136261u; /* FNV-1a */

	if (*vm && strlen(vm) + plen < IFNAMSIZ - 1 && safe(vm)) {
		snprintf(out, IFNAMSIZ, NT_PREFIX "%s", vm);
		return 0;
	}
	for (const unsigned char *p = (const unsigned char *)vm; *p; p++)
		h = (h ^ *p) * 16777619u;
	snprintf(out, IFNAMSIZ, NT_PREFIX "%08x", h);
	return 1;
}
