/* fc-driver: pure helpers (no I/O, no host services) so they can be unit-tested:
 * Firecracker id checks, the kernel command line and the JSON bodies of the API calls. */
#ifndef LIA_FC_ARGS_H
#define LIA_FC_ARGS_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "bootargs.h"

/* Firecracker --id: 1..64 characters of [A-Za-z0-9-] (an invalid id aborts firecracker). */
int fc_valid_instance_id(const char *id);

/* API resource ids (drive_id, iface_id): non-empty [A-Za-z0-9_]; hyphens are rejected. */
int fc_valid_resource_id(const char *id);

/* The command line Firecracker gets (plugins/common/bootargs: base, lia.ip, lia.prefix,
 * lia.gateway, lia.ssh_key, extra).  Returns the length, or -1 when it does not fit in
 * outlen or leaves less than FC_CMDLINE_RESERVE of FC_CMDLINE_MAX. */
#define FC_CMDLINE_MAX 2048
/* Room left for what Firecracker appends (root=/dev/vda rw, virtio_mmio.device=... per
 * device): 4 devices at most here, about 40 bytes each. */
#define FC_CMDLINE_RESERVE 200
int fc_boot_args(char *out, size_t outlen, const struct lia_bootargs *a);

/* JSON bodies; each returns a new reference (NULL on allocation failure). */
json_t *fc_body_logger(const char *log_path);
json_t *fc_body_metrics(const char *metrics_path);
/* initrd NULL or "": no initrd_path */
json_t *fc_body_boot_source(const char *kernel, const char *initrd, const char *boot_args);
json_t *fc_body_machine(int64_t vcpus, int64_t mem_mib);
json_t *fc_body_drive(const char *id, const char *path, int is_root);
json_t *fc_body_net(const char *iface, const char *tap, const char *mac);
json_t *fc_body_vsock(int64_t cid, const char *uds);
json_t *fc_body_action(const char *action);

/* Pull a readable message out of an error body: fault_message, else micro_http's
 * {"error": "..."} (which may hold a raw newline, so not valid JSON), else the raw body.
 * Newlines become spaces; the result is always NUL-terminated. */
void fc_fault_text(const char *body, size_t len, char *out, size_t outlen);

/* 1 when the first bytes are an ELF header (7f 45 4c 46); 2 when it looks like a bzImage
 * (HdrS at 0x202); 0 otherwise. */
int fc_kernel_kind(const unsigned char *head, size_t len);

#endif
