/* Checking setting values by what the option declares: integer ranges, string kinds, and
 * what libconfig 1.5 hides (it truncates integers past 32 bits without an L suffix and
 * drops NUL escapes from strings, so the literal is read again from the file). */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf_check.h"
#include "util.h"

static int is_ipv4(const char *s, uint32_t *out)
{
	unsigned a[4];
	int n = 0;
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		a[i] = 0;
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			a[i] = a[i] * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || a[i] > 255)
				return 0;
		}
		if (digits > 1 && s[-digits] == '0')
			return 0; /* 010 is octal to inet_aton: refuse the ambiguity */
		v = v << 8 | a[i];
		n++;
		if (i < 3 && *s++ != '.')
			return 0;
	}
	if (*s)
		return 0;
	if (out)
		*out = v;
	return n == 4;
}

int cidr_parse(const char *s, uint32_t *addr, int *prefix)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash - s > 15)
		return -1;
	char ip[16];
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = 0;
	if (!is_ipv4(ip, addr))
		return -1;
	char *end;
	errno = 0;
	long p = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || p < 0 || p > 32 || !isdigit((unsigned char)slash[1]))
		return -2;
	*prefix = (int)p;
	return 0;
}

static int in_choices(const char *choices, const char *s, size_t n)
{
	for (const char *c = choices; c && *c;) {
		const char *bar = strchr(c, '|');
		size_t len = bar ? (size_t)(bar - c) : strlen(c);
		if (len == n && strncmp(c, s, n) == 0)
			return 1;
		c = bar ? bar + 1 : c + len;
	}
	return 0;
}

static const char *list_choices(const char *choices, char *buf, size_t len)
{
	snprintf(buf, len, "%s", choices ? choices : "");
	for (char *p = buf; *p; p++)
		if (*p == '|')
			*p = ',';
	return buf;
}

const char *option_value_problem(const struct lia_option *o, const char *s, char *buf, size_t len)
{
	char ch[256];
	if (!s)
		return NULL;
	if (!*s && o->kind != LIA_KIND_ANY) {
		if (o->flags & LIA_OPT_EMPTY_OK)
			return NULL;
		snprintf(buf, len, "must not be empty");
		return buf;
	}
	switch (o->kind) {
	case LIA_KIND_ANY: return NULL;
	case LIA_KIND_IPV4:
		if (is_ipv4(s, NULL))
			return NULL;
		snprintf(buf, len,
			 "\"%s\" is not an IPv4 address (allowed: a dotted quad such as 172.16.0.1)", s);
		return buf;
	case LIA_KIND_CIDR: {
		uint32_t a;
		int p, r = cidr_parse(s, &a, &p);
		if (r == 0)
			return NULL;
		if (r == -2)
			snprintf(
				buf, len,
				"\"%s\" has a prefix outside 0-32 (allowed: ADDRESS/PREFIX such as 172.16.0.1/24)",
				s);
		else
			snprintf(
				buf, len,
				"\"%s\" is not an IPv4 address with a prefix (allowed: ADDRESS/PREFIX such as 172.16.0.1/24)",
				s);
		return buf;
	}
	case LIA_KIND_URL: {
		const char *schemes = o->choices ? o->choices : "http|https|file";
		const char *sep = strstr(s, "://");
		if (sep && sep > s && in_choices(schemes, s, (size_t)(sep - s)) && sep[3] &&
		    !strpbrk(s, " \t\r\n"))
			return NULL;
		snprintf(buf, len, "\"%s\" is not an allowed URL (allowed schemes: %s)", s,
			 list_choices(schemes, ch, sizeof(ch)));
		return buf;
	}
	case LIA_KIND_SHA256: {
		size_t n = strlen(s);
		int hex = n == 64;
		for (size_t i = 0; hex && i < n; i++)
			hex = isxdigit((unsigned char)s[i]);
		if (hex)
			return NULL;
		snprintf(buf, len, "\"%s\" is not a SHA-256 (allowed: 64 hexadecimal digits)", s);
		return buf;
	}
	case LIA_KIND_ABSPATH:
		if (s[0] == '/')
			return NULL;
		snprintf(buf, len, "\"%s\" is not an absolute path (allowed: a path starting with '/')", s);
		return buf;
	case LIA_KIND_CHOICE:
		if (in_choices(o->choices, s, strlen(s)))
			return NULL;
		snprintf(buf, len, "\"%s\" is not one of the choices (allowed: %s)", s,
			 list_choices(o->choices, ch, sizeof(ch)));
		return buf;
	case LIA_KIND_IFNAME:
		if (strlen(s) <= 15 && !strpbrk(s, "/: \t\n") && strcmp(s, ".") && strcmp(s, ".."))
			return NULL;
		snprintf(
			buf, len,
			"\"%s\" is not a network interface name (allowed: 1-15 characters, no '/', ':' or spaces)",
			s);
		return buf;
	}
	snprintf(buf, len, "the plugin declares an unknown string kind %u", o->kind);
	return buf;
}

const char *int_problem(const struct lia_option *o, int64_t v, char *buf, size_t len)
{
	if (!(o->flags & LIA_OPT_RANGE) || (v >= o->min && v <= o->max))
		return NULL;
	snprintf(buf, len, "%" PRId64 " is out of range (allowed: %" PRId64 " to %" PRId64 ")", v, o->min,
		 o->max);
	return buf;
}

const char *option_default_problem(const struct lia_option *o)
{
	static char buf[512];
	if (!o->default_value) {
		if (o->type == LIA_OPT_INT || o->type == LIA_OPT_BOOL)
			return (o->flags & LIA_OPT_REQUIRED) ? NULL
							     : "an integer or boolean option needs a default";
		return NULL;
	}
	switch (o->type) {
	case LIA_OPT_INT: {
		char *end;
		errno = 0;
		long long v = strtoll(o->default_value, &end, 0);
		if (!*o->default_value || *end || errno)
			return "its default is not an integer";
		return int_problem(o, v, buf, sizeof(buf));
	}
	case LIA_OPT_BOOL:
		if (strcmp(o->default_value, "true") && strcmp(o->default_value, "false"))
			return "its default is not \"true\" or \"false\"";
		return NULL;
	case LIA_OPT_STRING: return option_value_problem(o, o->default_value, buf, sizeof(buf));
	case LIA_OPT_STRINGS: {
		char *copy = xstrdup(o->default_value), *save = NULL;
		const char *bad = NULL;
		for (char *t = strtok_r(copy, ",", &save); t && !bad; t = strtok_r(NULL, ",", &save))
			bad = option_value_problem(o, t, buf, sizeof(buf));
		free(copy);
		return bad;
	}
	}
	return "its type is unknown";
}

/* ---- the literal as written ---- */
static char *cached_file, *cached_text;

static const char *file_text(const char *file)
{
	if (cached_file && strcmp(cached_file, file) == 0)
		return cached_text;
	free(cached_file);
	free(cached_text);
	cached_file = xstrdup(file);
	cached_text = NULL;
	FILE *f = fopen(file, "re");
	if (!f)
		return NULL;
	size_t cap = 0, n = 0;
	char buf[4096];
	size_t r;
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0) {
		cached_text = realloc(cached_text, cap = n + r + 1);
		if (!cached_text)
			abort();
		memcpy(cached_text + n, buf, r);
		n += r;
	}
	fclose(f);
	if (cached_text)
		cached_text[n] = 0;
	(void)cap;
	return cached_text;
}

void conf_check_release(void)
{
	free(cached_file);
	free(cached_text);
	cached_file = cached_text = NULL;
}

/* the text after "NAME =" (or ':') on line `line` of file, or NULL */
static const char *literal_at(const char *file, int line, const char *name)
{
	const char *t = file ? file_text(file) : NULL;
	if (!t || line < 1)
		return NULL;
	for (int l = 1; l < line && t; l++) {
		t = strchr(t, '\n');
		if (t)
			t++;
	}
	if (!t)
		return NULL;
	const char *eol = strchr(t, '\n');
	size_t nl = strlen(name);
	for (const char *p = t; (p = strstr(p, name)) && (!eol || p < eol); p += nl) {
		if (p > t && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '-'))
			continue;
		const char *q = p + nl;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		return q;
	}
	return NULL;
}

int literal_int(const char *file, int line, const char *name, int64_t *out, int *overflow)
{
	*overflow = 0;
	const char *q = literal_at(file, line, name);
	if (!q)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(q, &end, 0);
	if (end == q)
		return -1;
	if (errno == ERANGE) {
		*overflow = 1;
		return 0;
	}
	*out = v;
	return 0;
}

int literal_has_nul(const char *file, int line, const char *name)
{
	const char *q = literal_at(file, line, name);
	if (!q || *q != '"')
		return 0;
	for (const char *p = q + 1; *p && *p != '\n'; p++) {
		if (*p == '"') {
			/* adjacent strings are concatenated: "a" "b" */
			const char *n = p + 1;
			while (*n == ' ' || *n == '\t')
				n++;
			if (*n != '"')
				return 0;
			p = n;
			continue;
		}
		if (*p == '\\' && p[1]) {
			if (p[1] == 'x' && p[2] == '0' && p[3] == '0')
				return 1;
			p++;
		}
	}
	return 0;
}

/* edit distance, for "did you mean" */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

const char *closest_option(const struct lia_option *opts, const char *key)
{
	const char *best = NULL;
	size_t bd = 3;
	for (const struct lia_option *o = opts; o && o->name; o++) {
		size_t d = distance(o->name, key);
		if (d < bd) {
			bd = d;
			best = o->name;
		}
	}
	return best;
}
