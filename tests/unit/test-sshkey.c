/* test-sshkey - core/sshkey.c: only OpenSSH public keys pass (issue 10 #11).  TAP. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sshkey.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue me@host"
#define RSA \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC16DyaCYfHi1am1pd7aa2XXO6JMvsDcqf0n8s+8Tunwbv+f4jPqfPx9jmnno6yOXPjuq251MZtsSN/Feiv4MjTB76uz/O1LaJrB+8/JgRHbn+gc8yRrXeL8wbnG56fhSimSdkkRxKN4cy4p5Gk8/1h9pDzntF6M4VwJ4EgjewifQ== me@host"
#define ECDSA \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOT6GhLzowppzZoiYKVXaIBuF947xz91a4vSpn2jASIh4seulBIihmNvEvl1ni0uIsvDWZlkOKMp646MDeMpuPA= me@host"

static int line_ok(const char *l)
{
	const char *why = NULL;
	int r = sshkey_check_line(l, &why);
	if (r < 0)
		printf("#   refused: %s\n", why);
	return r == 0;
}

static char dir[] = "/tmp/lia-sshkey.XXXXXX";

/* write text to a file, load it; returns the count, *keys and err for the caller */
static int load(const char *text, char **keys, char *err, size_t errlen)
{
	char path[64];
	FILE *f;
	snprintf(path, sizeof path, "%s/key", dir);
	f = fopen(path, "w");
	if (!f)
		return -2;
	fputs(text, f);
	fclose(f);
	return sshkey_load(path, keys, err, errlen);
}

int main(void)
{
	char *keys, err[512];
	int r;

	if (!mkdtemp(dir))
		return 2;
	ok(line_ok(ED25519), "an ssh-ed25519 key passes");
	ok(line_ok(RSA), "an ssh-rsa key passes");
	ok(line_ok(ECDSA), "an ecdsa-sha2-nistp256 key passes");
	ok(line_ok("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue"),
	   "a key without a comment passes");
	ok(!line_ok("hello world"), "'hello world' is refused");
	ok(!line_ok("root:$6$abc$def:19000:0:99999:7:::"), "a shadow line is refused");
	ok(!line_ok("ssh-ed25519 \"AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue\" x"),
	   "a quoted key is refused");
	ok(!line_ok("ssh-ed25519"), "a type without a key is refused");
	ok(!line_ok("ssh-ed25519 AAAA!AAA"), "bad base64 is refused");
	ok(!line_ok("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL=XyktDQ"), "'=' inside base64 is refused");
	ok(!line_ok("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue x"),
	   "a blob that names another type is refused");
	ok(!line_ok("ssh-dss AAAAB3NzaC1yc2EAAAAgqvQdkv5fKS0NCDw79W2d+Ym8T48DtwexC3y5dDShq54="),
	   "an unknown type is refused");
	ok(!line_ok("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"), "a blob with only its type is refused");
	ok(!line_ok("command=\"/bin/sh\" " ED25519), "options before the type are refused");
	ok(!line_ok(
		   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue a\001b"),
	   "a control character is refused");

	r = load(ED25519 "\n", &keys, err, sizeof err);
	ok(r == 1 && !strcmp(keys, ED25519), "a .pub file gives its one key");
	free(keys);
	r = load("# my keys\n\n" ED25519 "\r\n  " RSA "\n\n" ECDSA, &keys, err, sizeof err);
	ok(r == 3 && !strcmp(keys, ED25519 "\n" RSA "\n" ECDSA),
	   "three keys, comments, blank lines and CRLF: three keys back");
	free(keys);
	r = load(
		"ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue\t me@host\n",
		&keys, err, sizeof err);
	ok(r == 1 &&
		   !strcmp(keys,
			   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr0HZL+XyktDQg8O/VtnfmJvE+PA7cHsQt8uXQ0oaue me@host"),
	   "tabs become single spaces");
	free(keys);
	r = load(ED25519 "\nhello world\n", &keys, err, sizeof err);
	ok(r < 0 && strstr(err, "/key:2: not an OpenSSH public key"),
	   "a bad second line is refused, naming file:line");
	ok(r < 0 && !strstr(err, "hello"), "without echoing the line");
	r = load(
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n",
		&keys, err, sizeof err);
	ok(r < 0 && strstr(err, "PRIVATE key"), "a private key is refused loudly");
	ok(r < 0 && !strstr(err, "b3Bl"), "without echoing it");
	r = load("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n", &keys, err,
		 sizeof err);
	ok(r < 0 && strstr(err, "PRIVATE key"), "a PEM private key is refused loudly");
	r = load("PuTTY-User-Key-File-3: ssh-ed25519\n", &keys, err, sizeof err);
	ok(r < 0 && strstr(err, "PRIVATE key"), "a PuTTY key file is refused loudly");
	r = load("", &keys, err, sizeof err);
	ok(r < 0 && strstr(err, "holds no key"), "an empty file is refused");
	r = load("# only a comment\n", &keys, err, sizeof err);
	ok(r < 0 && strstr(err, "holds no key"), "a file of comments is refused");
	r = sshkey_load(dir, &keys, err, sizeof err);
	ok(r < 0 && strstr(err, "not a regular file"), "a directory is refused");
	r = sshkey_load("/nonexistent/key.pub", &keys, err, sizeof err);
	ok(r < 0 && strstr(err, "cannot read SSH key /nonexistent/key.pub"), "a missing file is named");

	char path[64];
	snprintf(path, sizeof path, "%s/key", dir);
	unlink(path);
	rmdir(dir);
	printf("1..%d\n", n);
	return failed != 0;
}
