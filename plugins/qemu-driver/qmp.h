/* qemu-driver: a small QMP client (QEMU Machine Protocol: JSON lines on a Unix socket).
 * Each call opens the socket, negotiates capabilities, runs ONE command and closes:
 * the VM's lia-core processes come and go, QEMU stays. */
#ifndef LIA_QMP_H
#define LIA_QMP_H
#include <stddef.h>
#include <jansson.h>

/* Run `execute` (no arguments) on the QMP socket at path, waiting up to timeout_ms in
 * all.  Returns 0 and *ret = the "return" value (new reference; may be NULL when ret is
 * NULL), or a negative errno with err saying why (QEMU's "error" desc included). */
int qmp_call(const char *path, const char *execute, long timeout_ms, json_t **ret, char *err, size_t errlen);

#endif
