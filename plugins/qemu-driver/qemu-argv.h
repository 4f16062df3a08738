/* qemu-driver: pure helpers (no I/O, no host services), unit-tested: the QEMU argv of a
 * VM, the kernel command line additions, /proc/cpuinfo parsing and QMP messages. */
#ifndef LIA_QEMU_ARGV_H
#define LIA_QEMU_ARGV_H
#include <stddef.h>
#include <stdint.h>

/* Everything one VM's qemu-system-x86_64 process is started with. */
struct qemu_spec {
	const char *binary;  /* absolute path */
	const char *name;    /* the VM's name (-name) */
	int kvm;             /* 1: -accel kvm -cpu host; 0: TCG */
	int64_t tb_size_mib; /* TCG translation cache cap; 0: QEMU's default */
	int64_t vcpus, mem_mib;
	const char *kernel, *initrd; /* initrd NULL or "": none */
	const char *cmdline;         /* the whole -append text */
	const char *root, *data;     /* data NULL or "": none */
	const char *tap, *mac;       /* tap NULL or "": no network; mac NULL or "": QEMU picks */
	int64_t vsock_cid;           /* > 2: a vhost-vsock-device with this guest CID */
	int rng;                     /* 1: a virtio-rng device fed from /dev/urandom */
	const char *console;         /* serial console log (appended) */
	const char *qmp;             /* QMP Unix socket path */
};

/* The argv (NULL-terminated, strings owned by the result).  NULL when out of memory.
 * Free with qemu_argv_free. */
char **qemu_argv(const struct qemu_spec *s);
void qemu_argv_free(char **argv);

/* 1 when s may go into a QEMU option value as it is: no ',' (the option separator),
 * no newline.  QEMU doubles commas to escape them; lia refuses instead (paths under
 * state_dir never have one). */
int qemu_safe_value(const char *s);

/* TAP names and MACs: [A-Za-z0-9_.:-], 1..32 characters */
int qemu_safe_token(const char *s);

/* The host TSC frequency in kHz from /proc/cpuinfo text (first "cpu MHz" line x 1000),
 * 0 when absent.  Linux on a microvm under TCG never finishes TSC calibration without
 * tsc_early_khz (no PIT with ACPI, no HPET). */
uint64_t qemu_tsc_khz(const char *cpuinfo);

/* What qemu-driver adds to the configured boot_args: the root device, and under TCG
 * "tsc_early_khz=N tsc=reliable".  Writes base + additions; -1 when it does not fit. */
int qemu_base_cmdline(char *out, size_t outlen, const char *base, int kvm, uint64_t tsc_khz);

/* QMP: one command as a JSON line (no arguments).  Returns the length or -1. */
int qemu_qmp_command(char *out, size_t outlen, const char *execute);

#endif
