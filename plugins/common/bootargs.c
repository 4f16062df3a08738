/* plugins/common/bootargs.c - the kernel command line shared by the VMM drivers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bootargs.h"

static int pct_plain(unsigned char c)
{
	return isalnum(c) || strchr("+/=@._:-", c) != NULL;
}

int lia_pct_encode(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in), o = 0;
	/* a key file ends with a newline; that is not part of the key */
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c && pct_plain(c)) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* append " key=value" (or just " value" when key is NULL) */
static int add(char *out, size_t outlen, size_t *o, const char *key, const char *val)
{
	if (!val || !*val)
		return 0;
	int n = snprintf(out + *o, outlen - *o, "%s%s%s%s", *o ? " " : "", key ? key : "", key ? "=" : "",
			 val);
	if (n < 0 || (size_t)n >= outlen - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

int lia_boot_args(char *out, size_t outlen, const struct lia_bootargs *a)
{
	size_t o = 0;
	char key[1600];
	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (add(out, outlen, &o, NULL, a->base) || add(out, outlen, &o, "lia.ip", a->ip))
		return -1;
	/* the prefix only means something with an address */
	if (a->ip && *a->ip && add(out, outlen, &o, "lia.prefix", a->prefix))
		return -1;
	if (add(out, outlen, &o, "lia.gateway", a->gateway))
		return -1;
	if (a->ssh_key && *a->ssh_key) {
		if (lia_pct_encode(a->ssh_key, key, sizeof(key)) < 0)
			return -1;
		if (add(out, outlen, &o, "lia.ssh_key", key))
			return -1;
	}
	if (add(out, outlen, &o, NULL, a->extra))
		return -1;
	return (int)o;
}
