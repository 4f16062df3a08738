/* sshkey.c - see sshkey.h.  Pure parsing plus one file read. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sshkey.h"

/* what sshd accepts in authorized_keys (certificates need a CA, not a key line) */
static const char *const key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	NULL,
};

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* strict base64 (length a multiple of 4, '=' only as the last one or two) into out;
 * returns the decoded length or -1 */
static long b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0;

	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64val(c)) < 0)
				return -1;
		}
		uint32_t w =
			(uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	return (long)o;
}

static size_t field(const char *s, const char **start)
{
	while (*s == ' ' || *s == '\t')
		s++;
	*start = s;
	size_t n = 0;
	while (s[n] && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

int sshkey_check_line(const char *line, const char **why)
{
	const char *t, *b, *rest;
	size_t tn = field(line, &t), bn, i;
	unsigned char blob[SSHKEY_FILE_MAX];
	long len;

	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			*why = "it holds a control character";
			return -1;
		}
	for (i = 0; key_types[i]; i++)
		if (strlen(key_types[i]) == tn && !memcmp(key_types[i], t, tn))
			break;
	if (!key_types[i]) {
		*why = "it does not start with a known key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...; options before the type are not supported)";
		return -1;
	}
	bn = field(t + tn, &b);
	rest = b + bn;
	(void)rest;
	if (bn == 0) {
		*why = "the key type is not followed by the key";
		return -1;
	}
	len = b64_decode(b, bn, blob, sizeof blob);
	if (len < 0) {
		*why = "the key is not valid base64";
		return -1;
	}
	if (len < 4) {
		*why = "the key is too short";
		return -1;
	}
	uint32_t n = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (n != tn || (size_t)len < 4 + (size_t)n || memcmp(blob + 4, t, tn)) {
		*why = "the key's data does not name its type (a damaged or mislabelled key)";
		return -1;
	}
	if ((size_t)len == 4 + (size_t)n) {
		*why = "the key holds its type but no key";
		return -1;
	}
	return 0;
}

static int has(const char *text, size_t len, const char *needle)
{
	return memmem(text, len, needle, strlen(needle)) != NULL;
}

int sshkey_is_private(const char *text, size_t len)
{
	return has(text, len, "PRIVATE KEY-----") || has(text, len, "PuTTY-User-Key-File") ||
	       has(text, len, "b3BlbnNzaC1rZXktdjE"); /* base64 of "openssh-key-v1" */
}

/* append "TYPE BASE64 [COMMENT]" of line, fields separated by one space */
static void append_key(char *out, size_t *o, const char *line)
{
	const char *s = line;
	int first = 1;

	if (*o)
		out[(*o)++] = '\n';
	for (;;) {
		const char *f;
		size_t n = field(s, &f);
		if (!n)
			break;
		if (!first)
			out[(*o)++] = ' ';
		memcpy(out + *o, f, n);
		*o += n;
		s = f + n;
		first = 0;
	}
	out[*o] = 0;
}

int sshkey_load(const char *path, char **keys, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL, *out = NULL, *line, *next;
	ssize_t n;
	size_t len = 0, o = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), count = 0, lineno = 0;

	*keys = NULL;
	if (fd < 0) {
		snprintf(err, errlen, "cannot read SSH key %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SSHKEY_FILE_MAX) {
		int reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		snprintf(err, errlen, "SSH key %s is not a public key file (%s)", path,
			 reg ? "larger than 64 KiB" : "not a regular file");
		close(fd);
		return -1;
	}
	text = malloc(SSHKEY_FILE_MAX + 1);
	out = malloc(SSHKEY_FILE_MAX + 1);
	if (!text || !out) {
		snprintf(err, errlen, "out of memory reading %s", path);
		goto fail;
	}
	while (len < SSHKEY_FILE_MAX && (n = read(fd, text + len, SSHKEY_FILE_MAX - len)) > 0)
		len += (size_t)n;
	text[len] = 0;
	out[0] = 0;
	if (sshkey_is_private(text, len)) {
		snprintf(
			err, errlen,
			"SSH key %s is a PRIVATE key: refused, and it must never leave this host; give its public key (%s.pub or `ssh-keygen -y -f %s`)",
			path, path, path);
		goto fail;
	}
	if (memchr(text, 0, len)) {
		snprintf(err, errlen, "SSH key %s is not a public key file (binary data)", path);
		goto fail;
	}
	for (line = text; line && *line; line = next) {
		const char *why;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = 0;
		const char *s = line + strspn(line, " \t");
		if (!*s || *s == '#')
			continue;
		if (sshkey_check_line(s, &why) < 0) {
			snprintf(err, errlen, "%s:%d: not an OpenSSH public key: %s", path, lineno, why);
			goto fail;
		}
		append_key(out, &o, s);
		count++;
	}
	if (!count) {
		snprintf(err, errlen, "SSH key file %s holds no key", path);
		goto fail;
	}
	close(fd);
	free(text);
	*keys = out;
	return count;
fail:
	close(fd);
	free(text);
	free(out);
	return -1;
}
