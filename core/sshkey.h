/* sshkey - accept only OpenSSH public keys for `vm create --ssh-key`.
 * A key line is "TYPE BASE64 [COMMENT]": TYPE one of the types OpenSSH's sshd takes in
 * authorized_keys, BASE64 strict base64 of a blob whose first field (a uint32 length and
 * a string) is TYPE again.  Anything else - a private key, /etc/shadow, "hello world",
 * options before the type - is refused with the reason, never echoing the line. */
#ifndef LIA_CORE_SSHKEY_H
#define LIA_CORE_SSHKEY_H
#include <stddef.h>

#define SSHKEY_FILE_MAX 65536 /* a key file larger than this is not a public key file */

/* One line (no newline).  0 when it is a public key, else -1 and *why says what is
 * wrong ("unknown key type", ...). */
int sshkey_check_line(const char *line, const char **why);

/* 1 when text looks like a private key (PEM "PRIVATE KEY", OpenSSH's
 * "openssh-key-v1" container, PuTTY's key file). */
int sshkey_is_private(const char *text, size_t len);

/* Read a key file: one or more public keys, one per line; blank lines and lines
 * starting with '#' are skipped.  Returns the number of keys (>= 1) with *keys the keys
 * joined by '\n', each reduced to "TYPE BASE64 [COMMENT]" (malloc'd); or -1 with a
 * one-line message in err ("FILE:3: not an OpenSSH public key: unknown key type"). */
int sshkey_load(const char *path, char **keys, char *err, size_t errlen);

#endif
