/* lia/record.h - the keys of a VM record (state_dir/vms/NAME.json), for plugins.
 * Installed with <lia/plugin.h>.  The one-page schema: docs/record-schema.md.
 *
 * Read and write them with ctx->host->vm_get / vm_get_int / vm_set / vm_set_int.
 * The core's keys are read-only for plugins.  A plugin writes only the keys of its role
 * below (or keys under its own prefix, "myplug.").  Integers are written with vm_set_int
 * and read with vm_get_int; everything else is text.
 */
#ifndef LIA_RECORD_H
#define LIA_RECORD_H

/* ---- the core's keys (read-only) ---- */
#define LIA_KEY_NAME "name" /* 1-32 of [a-z0-9-], starting with a letter or digit */
#define LIA_KEY_STATE \
	"state"                   /* creating created starting running stopping stopped
					 * destroying failed */
#define LIA_KEY_VCPUS "vcpus"     /* integer >= 1 */
#define LIA_KEY_MEM_MIB "mem_mib" /* integer, MiB */
#define LIA_KEY_VOLUME_MIB \
	"volume_mib"              /* integer, MiB: size of the data volume (the core owns
					 * it: from `vm create --volume-mib` or lia.volume_mib) */
#define LIA_KEY_SSH_KEY "ssh_key" /* OpenSSH public key line(s), or unset */

/* ---- role tap (net-tap) ---- */
#define LIA_KEY_NET_IP "net.ip"           /* "172.16.0.100" */
#define LIA_KEY_NET_GATEWAY "net.gateway" /* "172.16.0.1" */
#define LIA_KEY_NET_PREFIX "net.prefix"   /* integer 0-32 */
#define LIA_KEY_NET_MAC "net.mac"         /* "06:00:ac:10:00:64", lower case */
#define LIA_KEY_NET_TAP "net.tap"         /* "tap-vm-agent1" */

/* ---- role image ---- */
#define LIA_KEY_DISK_ROOT "disk.root" /* absolute path under state_dir/vms or volumes */
#define LIA_KEY_DISK_DATA "disk.data" /* absolute path under state_dir/volumes */

/* ---- role kernel ---- */
#define LIA_KEY_KERNEL "kernel" /* optional per-VM kernel path; default state_dir/kernel/vmlinux */

/* ---- role vsock ---- */
#define LIA_KEY_VSOCK_CID "vsock.cid" /* integer >= 3 */
#define LIA_KEY_VSOCK_UDS "vsock.uds" /* host path of the VMM's vsock Unix socket */

/* ---- role vmm (fc-driver; another VMM uses its own prefix, e.g. "qemu.") ---- */
#define LIA_KEY_VMM_PID "fc.pid"             /* integer */
#define LIA_KEY_VMM_PID_START "fc.pid_start" /* integer, /proc/PID/stat field 22 */
#define LIA_KEY_FC_API_SOCK "fc.api_sock"
#define LIA_KEY_FC_EXIT_STATUS "fc.exit_status"

/* ---- written by the started phase (vsock) ---- */
#define LIA_KEY_READY "ready" /* "yes" when the guest answered, "no" otherwise */

#endif
