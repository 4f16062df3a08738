/* plugins/common/bootargs: the guest kernel command line every VMM driver passes (fc-driver,
 * qemu-driver).  Compiled into each driver (plugins link no core code); pure, no I/O.
 *
 * The contract with the guest's lia-init (rootfs/etc/init.d/lia-init):
 *   BASE lia.ip=IP lia.prefix=N lia.gateway=GW lia.ssh_key=PERCENT-ENCODED EXTRA
 * NULL or empty values are left out. */
#ifndef LIA_BOOTARGS_H
#define LIA_BOOTARGS_H
#include <stddef.h>

/* lia.ssh_key value as lia-init decodes it: every byte outside [A-Za-z0-9+/=@._:-]
 * becomes %XX (uppercase hex).  Trailing whitespace/newlines of the key are dropped.
 * Returns the length written, or -1 when out is too small. */
int lia_pct_encode(const char *in, char *out, size_t outlen);

struct lia_bootargs {
	const char *base; /* "console=ttyS0 reboot=k panic=1 ..." */
	const char *ip;
	const char *prefix; /* "24"; NULL or "" leaves lia-init's default (24) */
	const char *gateway;
	const char *ssh_key; /* raw public key text, encoded here */
	const char *extra;   /* appended last */
};

/* Write the command line into out.  Returns its length, or -1 when it does not fit
 * in outlen (the caller checks its VMM's own limit on the result). */
int lia_boot_args(char *out, size_t outlen, const struct lia_bootargs *a);

#endif
