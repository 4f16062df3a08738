/* qemu-driver: runs each VM in its own `qemu-system-x86_64 -M microvm` process (role
 * "vmm"), the VMM for hosts where Firecracker cannot run (no /dev/kvm: TCG) or is not
 * wanted.  Same VM record keys and kernel command line contract as fc-driver.
 *   boot:    spawn QEMU (own session), wait for its QMP socket, check it runs.
 *            undo = forced stop + cleanup.
 *   stop:    QMP system_powerdown (the ACPI power button), wait stop_timeout, SIGKILL;
 *            reap; remove the QMP socket.  Works from the VM record alone.
 *   destroy: remove the console log.   gc: kill QEMUs and remove QMP sockets no VM owns.
 * Record keys: qemu.pid, qemu.pid_start, qemu.qmp, qemu.accel, qemu.exit_status,
 * vsock.none (why this VM has no vsock device). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lia/plugin.h>

#include "bootargs.h"
#include "vmm-file.h"
#include "vmm-gc.h"
#include "vmm-proc.h"
#include "vmm-record.h"
#include "qemu-argv.h"
#include "qmp.h"

#define DEB_PACKAGE "qemu-system-x86"
#define CMDLINE_MAX 4096

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

struct qvm {
	const char *name;
	char qmp[PATH_MAX];
	char console[PATH_MAX];
};

static int vm_paths(struct lia_ctx *ctx, struct qvm *v)
{
	memset(v, 0, sizeof(*v));
	v->name = ctx->host->vm_name(ctx);
	if (!v->name)
		return ctx->host->error(ctx, -EINVAL, "qemu-driver was called without a VM");
	if (!qemu_safe_value(v->name) || strlen(v->name) > 64)
		return ctx->host->error(
			ctx, -EINVAL,
			"VM name '%s' cannot be given to QEMU (no commas, at most 64 characters)", v->name);
	if (ctx->host->path(ctx, v->qmp, sizeof(v->qmp), "sockets/%s.qmp", v->name) ||
	    ctx->host->path(ctx, v->console, sizeof(v->console), "logs/%s.console.log", v->name))
		return ctx->host->error(ctx, -ENAMETOOLONG, "the state directory path %s is too long",
					ctx->host->state_dir(ctx));
	if (strlen(v->qmp) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return ctx->host->error(ctx, -ENAMETOOLONG,
					"the QMP socket path %s is longer than a Unix socket allows (107 "
					"bytes); use a shorter state_dir",
					v->qmp);
	return 0;
}

/* the binary setting resolved on PATH; 0 or -ENOENT */
static int find_binary(struct lia_ctx *ctx, char *out, size_t len)
{
	const char *b = ctx->host->cfg_str(ctx, "binary");
	if (!b || !*b)
		b = "qemu-system-x86_64";
	if (strchr(b, '/')) {
		snprintf(out, len, "%s", b);
		return access(out, X_OK) == 0 ? 0 : -ENOENT;
	}
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, len, "%s/%s", d, b) < len && access(out, X_OK) == 0)
			return 0;
	}
	snprintf(out, len, "%s", b);
	return -ENOENT;
}

static int missing_binary(struct lia_ctx *ctx, const char *bin)
{
	return ctx->host->error(ctx, -ENOENT,
				"QEMU (%s) is not installed or not executable: install the Debian package "
				"%s (apt-get install %s) or set qemu-driver.binary",
				bin, DEB_PACKAGE, DEB_PACKAGE);
}

/* 1 when /dev/kvm opens and answers KVM_GET_API_VERSION with the stable version */
static int kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return v == KVM_API_VERSION;
}

/* accel setting -> 1 (KVM) / 0 (TCG), or a recorded error */
static int choose_accel(struct lia_ctx *ctx, int *kvm)
{
	const char *a = ctx->host->cfg_str(ctx, "accel");
	if (!a || !strcmp(a, "auto")) {
		*kvm = kvm_usable();
		return 0;
	}
	if (!strcmp(a, "tcg")) {
		*kvm = 0;
		return 0;
	}
	if (!strcmp(a, "kvm")) {
		if (!kvm_usable())
			return ctx->host->error(
				ctx, -ENODEV,
				"qemu-driver.accel = \"kvm\" but /dev/kvm cannot be opened or "
				"does not answer here; use \"auto\" or \"tcg\"");
		*kvm = 1;
		return 0;
	}
	return ctx->host->error(ctx, -EINVAL, "qemu-driver.accel = \"%s\": use \"auto\", \"kvm\" or \"tcg\"",
				a);
}

static uint64_t host_tsc_khz(void)
{
	static char buf[16384];
	int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return qemu_tsc_khz(buf);
}

static int forced(struct lia_ctx *ctx)
{
	return ctx->host->vm_force(ctx); /* `vm stop --force`, gc reclaiming a dead VM */
}

static long ms_setting(struct lia_ctx *ctx, const char *key)
{
	return (long)ctx->host->cfg_int(ctx, key) * 1000;
}

/* Stop the process (gracefully unless told not to), reap it, record its exit status,
 * remove the QMP socket and the ledger entries.  Idempotent; works from the record. */
static int teardown(struct lia_ctx *ctx, struct qvm *v, int graceful, int report)
{
	pid_t pid = (pid_t)ctx->host->vm_get_int(ctx, "qemu.pid", 0);
	uint64_t start = (uint64_t)ctx->host->vm_get_int(ctx, "qemu.pid_start", 0);
	if (pid > 0) {
		int status = -1, gone, killed = 0;
		char err[512];
		gone = vmm_wait_exit(pid, start, 0, &status);
		if (!gone && graceful) {
			int r = qmp_call(v->qmp, "system_powerdown", ms_setting(ctx, "qmp_timeout"), NULL,
					 err, sizeof(err));
			if (r == 0)
				gone = vmm_wait_exit(pid, start, ms_setting(ctx, "stop_timeout"), &status);
			else
				ctx->host->log(ctx, LIA_LOG_INFO,
					       "system_powerdown failed (%s); killing QEMU", err);
			if (!gone)
				ctx->host->log(ctx, LIA_LOG_WARN,
					       "VM '%s' did not power off within %" PRId64 " s; killing QEMU",
					       v->name, ctx->host->cfg_int(ctx, "stop_timeout"));
		}
		if (!gone)
			gone = vmm_kill_reap(pid, start, &status, &killed);
		if (!gone) {
			if (report)
				return ctx->host->error(ctx, -EBUSY,
							"QEMU (pid %d) of VM '%s' did not die after SIGKILL "
							"within 5 seconds",
							(int)pid, v->name);
			return -EBUSY;
		}
		/* not our child (another lia-core started it): a clean power-off is 0 */
		if (status < 0)
			status = killed ? 128 + SIGKILL : 0;
		vmm_forget_process(ctx, "qemu", "QEMU", pid, start, status);
	}
	vmm_unlink_socket(v->qmp);
	ctx->host->ledger_del(ctx, "socket", v->qmp);
	ctx->host->vm_set(ctx, "qemu.qmp", NULL);
	return 0;
}

/* ---- boot ------------------------------------------------------------------------ */

struct plan {
	char binary[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX];
	char base[CMDLINE_MAX], cmdline[CMDLINE_MAX];
	struct qemu_spec spec;
};

static int check_file(struct lia_ctx *ctx, const char *what, const char *path)
{
	if (access(path, R_OK) < 0)
		return ctx->host->error(ctx, -errno, "the %s %s of VM '%s' cannot be read: %s", what, path,
					ctx->host->vm_name(ctx), strerror(errno));
	if (!qemu_safe_value(path))
		return ctx->host->error(ctx, -EINVAL,
					"the %s path %s has a comma, which QEMU's option syntax cannot take",
					what, path);
	return 0;
}

/* validate everything and build the argv before anything is created */
static int plan_boot(struct lia_ctx *ctx, struct qvm *v, struct plan *p)
{
	const char *k = ctx->host->vm_get(ctx, "kernel");
	const char *root = ctx->host->vm_get(ctx, "disk.root"), *data = ctx->host->vm_get(ctx, "disk.data");
	const char *tap = ctx->host->vm_get(ctx, "net.tap"), *mac = ctx->host->vm_get(ctx, "net.mac");
	int64_t vcpus = ctx->host->vm_get_int(ctx, "vcpus", 1),
		mem = ctx->host->vm_get_int(ctx, "mem_mib", 128);
	int kvm, r;

	memset(p, 0, sizeof(*p));
	if (find_binary(ctx, p->binary, sizeof(p->binary)) < 0)
		return missing_binary(ctx, p->binary);
	if ((r = choose_accel(ctx, &kvm)) < 0)
		return r;
	if (k && *k)
		snprintf(p->kernel, sizeof(p->kernel), "%s", k);
	else if (ctx->host->path(ctx, p->kernel, sizeof(p->kernel), "kernel/vmlinux"))
		return ctx->host->error(ctx, -ENAMETOOLONG, "the kernel path is too long");
	if (access(p->kernel, R_OK) < 0)
		return ctx->host->error(ctx, -errno,
					"the kernel %s cannot be read: %s (run `lia-core run setup` with a "
					"kernel plugin, e.g. kernel-debian)",
					p->kernel, strerror(errno));
	if ((r = check_file(ctx, "kernel", p->kernel)) < 0)
		return r;
	/* the kernel phase's initramfs (kernel-debian), when it made one */
	if ((k && *k) || ctx->host->path(ctx, p->initrd, sizeof(p->initrd), "kernel/initrd") ||
	    access(p->initrd, R_OK) < 0)
		p->initrd[0] = '\0';
	else if ((r = check_file(ctx, "initrd", p->initrd)) < 0)
		return r;
	if (!root || !*root)
		return ctx->host->error(ctx, -ENOENT,
					"VM '%s' has no root disk (disk.root); is an image plugin enabled?",
					v->name);
	if ((r = check_file(ctx, "root disk", root)) < 0)
		return r;
	if (data && *data && (r = check_file(ctx, "data disk", data)) < 0)
		return r;
	if (tap && *tap && !qemu_safe_token(tap))
		return ctx->host->error(ctx, -EINVAL, "VM '%s' has a TAP name QEMU cannot take: '%s'",
					v->name, tap);
	if (mac && *mac && !qemu_safe_token(mac))
		return ctx->host->error(ctx, -EINVAL, "VM '%s' has a malformed MAC: '%s'", v->name, mac);
	if (vcpus < 1 || vcpus > 255)
		return ctx->host->error(ctx, -EINVAL,
					"VM '%s' asks for %" PRId64 " vCPUs; QEMU's microvm allows 1 to 255.",
					v->name, vcpus);
	if (mem < 16)
		return ctx->host->error(ctx, -EINVAL,
					"VM '%s' asks for %" PRId64 " MiB of memory; at least 16.", v->name,
					mem);
	if (qemu_base_cmdline(p->base, sizeof(p->base), ctx->host->cfg_str(ctx, "boot_args"), kvm,
			      kvm ? 0 : host_tsc_khz()) < 0)
		return ctx->host->error(ctx, -E2BIG, "qemu-driver.boot_args is too long");
	if (!kvm && !strstr(p->base, "tsc_early_khz="))
		ctx->host->log(ctx, LIA_LOG_WARN,
			       "/proc/cpuinfo has no \"cpu MHz\": the guest kernel may hang calibrating its "
			       "TSC under TCG (add tsc_early_khz=KHZ to boot_args_extra)");
	struct lia_bootargs ba = {
		.base = p->base,
		.ip = ctx->host->vm_get(ctx, "net.ip"),
		.prefix = ctx->host->vm_get(ctx, "net.prefix"),
		.gateway = ctx->host->vm_get(ctx, "net.gateway"),
		.ssh_key = ctx->host->vm_get(ctx, "ssh_key"),
		.extra = ctx->host->cfg_str(ctx, "boot_args_extra"),
	};
	if (lia_boot_args(p->cmdline, sizeof(p->cmdline), &ba) < 0)
		return ctx->host->error(ctx, -E2BIG,
					"the kernel command line of VM '%s' would exceed %d bytes; shorten "
					"boot_args_extra or the SSH key",
					v->name, CMDLINE_MAX - 1);
	int64_t cid = ctx->host->vm_get_int(ctx, "vsock.cid", 0);
	int vhost = access("/dev/vhost-vsock", R_OK | W_OK) == 0;
	p->spec = (struct qemu_spec){
		.binary = p->binary,
		.name = v->name,
		.kvm = kvm,
		.tb_size_mib = ctx->host->cfg_int(ctx, "tcg_tb_size_mib"),
		.vcpus = vcpus,
		.mem_mib = mem,
		.kernel = p->kernel,
		.initrd = p->initrd,
		.cmdline = p->cmdline,
		.root = root,
		.data = data,
		.tap = tap,
		.mac = mac,
		.vsock_cid = cid > 2 && vhost ? cid : 0,
		.rng = ctx->host->cfg_bool(ctx, "rng"),
		.console = v->console,
		.qmp = v->qmp,
	};
	return 0;
}

/* tell the vsock plugin why there is no vsock device, or that there is one */
static void record_vsock(struct lia_ctx *ctx, const struct plan *p)
{
	if (p->spec.vsock_cid > 2)
		ctx->host->vm_set(ctx, "vsock.none", NULL);
	else if (ctx->host->vm_get_int(ctx, "vsock.cid", 0) > 2)
		ctx->host->vm_set(ctx, "vsock.none",
				  "qemu-driver gave this VM no vsock device: the host has no "
				  "/dev/vhost-vsock (modprobe vhost_vsock), and QEMU's vsock needs it");
}

static int launch(struct lia_ctx *ctx, struct qvm *v, struct plan *p, char *err, size_t errlen)
{
	pid_t pid;
	char **argv = qemu_argv(&p->spec);
	if (!argv) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* QEMU's own messages go to the console log too, first; the guest's serial output
	 * is appended by QEMU (chardev file, append=on) */
	/* a fresh file of our own: a link planted at the path is replaced, never followed */
	int replaced = 0, con = vmm_open_fresh(v->console, 1, &replaced, err, errlen);
	if (con < 0) {
		qemu_argv_free(argv);
		return con;
	}
	if (replaced)
		ctx->host->log(ctx, LIA_LOG_WARN, "%s was not a file of lia's: replaced it", v->console);
	int r = vmm_spawn((const char *const *)argv, con, &pid, err, errlen);
	close(con);
	qemu_argv_free(argv);
	if (r)
		return -r;
	/* record the process before anything else can fail: undo and gc find it there */
	uint64_t start;
	ctx->host->vm_set(ctx, "qemu.qmp", v->qmp);
	ctx->host->vm_set(ctx, "qemu.accel", p->spec.kvm ? "kvm" : "tcg");
	if ((r = vmm_record_process(ctx, "qemu", pid, &start)) < 0) {
		say(err, errlen, "cannot record QEMU's pid in the VM record");
		return r;
	}
	int status;
	r = vmm_wait_socket(v->qmp, pid, start, ms_setting(ctx, "socket_timeout"), &status);
	if (r == -ECHILD) {
		char tail[600];
		vmm_log_tail(v->console, tail, sizeof(tail));
		say(err, errlen,
		    "QEMU (%s) exited with status %d before its QMP socket %s was ready; console log %s: %s",
		    p->binary, status, v->qmp, v->console, tail[0] ? tail : "(empty)");
		return r;
	}
	if (r < 0) {
		say(err, errlen,
		    "the QMP socket %s of QEMU (pid %d) did not accept a connection within %" PRId64 " s: %s",
		    v->qmp, (int)pid, ctx->host->cfg_int(ctx, "socket_timeout"), strerror(-r));
		return r;
	}
	/* it listens: is the machine running (not paused, not failed)? */
	json_t *st = NULL;
	char qerr[512];
	r = qmp_call(v->qmp, "query-status", ms_setting(ctx, "qmp_timeout"), &st, qerr, sizeof(qerr));
	if (r < 0) {
		/* QEMU listens before it loads the kernel: a bad kernel ends it right here */
		if (vmm_wait_exit(pid, start, 2000, &status)) {
			char tail[600];
			vmm_log_tail(v->console, tail, sizeof(tail));
			say(err, errlen,
			    "QEMU (%s) exited with status %d right after start; console log %s: %s",
			    p->binary, status, v->console, tail[0] ? tail : "(empty)");
			return -ECHILD;
		}
		say(err, errlen, "query-status on %s failed: %s", v->qmp, qerr);
		return r;
	}
	const char *s = json_string_value(json_object_get(st, "status"));
	if (!s || strcmp(s, "running")) {
		say(err, errlen, "QEMU reports the machine as '%s', not running", s ? s : "?");
		json_decref(st);
		return -EIO;
	}
	json_decref(st);
	return 0;
}

/* prepare (boot): the QMP socket's ledger entry, with run()'s check that no QEMU of this VM
 * still runs, so that the core saves it with the record's "starting" */
static int qemu_prepare(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct qvm v;
	int r;

	if (ctx->host->phase(ctx) != LIA_PHASE_BOOT)
		return 0;
	if ((r = vm_paths(ctx, &v)) < 0)
		return r;
	pid_t old = (pid_t)ctx->host->vm_get_int(ctx, "qemu.pid", 0);
	if (old > 0 && vmm_alive(old, (uint64_t)ctx->host->vm_get_int(ctx, "qemu.pid_start", 0)))
		return ctx->host->error(ctx, -EBUSY, "VM '%s' already runs (QEMU pid %d)", v.name, (int)old);
	return ctx->host->ledger_add(ctx, "socket", v.qmp);
}

static int boot_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct plan p;
	struct qvm v;
	char err[2048];
	int r;

	if ((r = vm_paths(ctx, &v)) < 0 || (r = plan_boot(ctx, &v, &p)) < 0)
		return r;
	pid_t old = (pid_t)ctx->host->vm_get_int(ctx, "qemu.pid", 0);
	if (old > 0 && vmm_alive(old, (uint64_t)ctx->host->vm_get_int(ctx, "qemu.pid_start", 0)))
		return ctx->host->error(ctx, -EBUSY, "VM '%s' already runs (QEMU pid %d)", v.name, (int)old);
	/* a QEMU that died under us (kill -9, host crash): forget it before the new one */
	if (old > 0 && (r = teardown(ctx, &v, 0, 1)) < 0)
		return r;
	/* ledger first, then the object */
	if ((r = ctx->host->ledger_add(ctx, "socket", v.qmp)) < 0)
		return r;
	char dir[PATH_MAX];
	ctx->host->path(ctx, dir, sizeof(dir), "sockets");
	mkdir(dir, 0755);
	ctx->host->path(ctx, dir, sizeof(dir), "logs");
	mkdir(dir, 0755);
	vmm_unlink_socket(v.qmp); /* stale from a crashed run */
	record_vsock(ctx, &p);
	r = launch(ctx, &v, &p, err, sizeof(err));
	if (r < 0) {
		teardown(ctx, &v, 0, 0);
		return ctx->host->error(ctx, r, "starting QEMU for VM '%s' failed: %s", v.name, err);
	}
	ctx->host->note(ctx, "started QEMU (pid %" PRId64 ", %s) for VM '%s'",
			ctx->host->vm_get_int(ctx, "qemu.pid", 0), p.spec.kvm ? "KVM" : "TCG", v.name);
	return LIA_OK;
}

static int boot_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct qvm v;
	int r = vm_paths(ctx, &v);
	return r < 0 ? r : teardown(ctx, &v, 0, 1);
}

static int boot_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct plan p;
	struct qvm v;
	int r;
	if ((r = vm_paths(ctx, &v)) < 0 || (r = plan_boot(ctx, &v, &p)) < 0)
		return r;
	char **argv = qemu_argv(&p.spec);
	if (!argv)
		return -ENOMEM;
	char line[8192];
	size_t o = 0;
	for (char **a = argv; *a && o < sizeof(line) - 1; a++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", o ? " " : "", *a);
	qemu_argv_free(argv);
	ctx->host->note(ctx, "start %s", line);
	return 0;
}

/* ---- stop / destroy / gc / status ------------------------------------------------- */

static int stop_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct qvm v;
	int r = vm_paths(ctx, &v);
	return r < 0 ? r : teardown(ctx, &v, !forced(ctx), 1);
}

static int destroy_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct qvm v;
	int r = vm_paths(ctx, &v);
	if (r < 0)
		return r;
	if ((r = teardown(ctx, &v, 0, 1)) < 0)
		return r;
	unlink(v.console);
	ctx->host->vm_set(ctx, "vsock.none", NULL);
	return LIA_OK;
}

/* the QMP socket path of a QEMU from its argv ("-qmp unix:PATH,server=on,..."), or 0 */
static int proc_qmp_sock(const char *pid, char *out, size_t outlen)
{
	char val[PATH_MAX + 64];
	if (!vmm_proc_arg(pid, "-qmp", val, sizeof(val)) || strncmp(val, "unix:", 5))
		return 0;
	size_t l = strcspn(val + 5, ",");
	if (l >= outlen)
		return 0;
	memcpy(out, val + 5, l);
	out[l] = '\0';
	return 1;
}

static int gc_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static const struct vmm_gc g = {
		.vmm = "QEMU", .socket = "QMP socket", .suffix = ".qmp", .socket_of = proc_qmp_sock
	};
	return vmm_gc_orphans(ctx, &g);
}

static int preflight_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	char bin[PATH_MAX];
	int kvm, r;
	if (find_binary(ctx, bin, sizeof(bin)) < 0)
		return missing_binary(ctx, bin);
	if ((r = choose_accel(ctx, &kvm)) < 0)
		return r;
	ctx->host->note(ctx, "%s with %s", bin, kvm ? "KVM" : "TCG (software emulation: no usable /dev/kvm)");
	return LIA_OK;
}

/* `lia-core vm qemu-status NAME`: what QEMU itself says about the VM */
static int cmd_status(struct lia_ctx *ctx, void *state, int argc, char **argv)
{
	(void)state;
	(void)argc;
	(void)argv;
	struct qvm v;
	char err[512];
	json_t *st = NULL;
	if (vm_paths(ctx, &v) < 0)
		return 2;
	pid_t pid = (pid_t)ctx->host->vm_get_int(ctx, "qemu.pid", 0);
	if (pid <= 0 || !vmm_alive(pid, (uint64_t)ctx->host->vm_get_int(ctx, "qemu.pid_start", 0))) {
		printf("%s: no QEMU process\n", v.name);
		return 1;
	}
	if (qmp_call(v.qmp, "query-status", ms_setting(ctx, "qmp_timeout"), &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "lia-core: VM '%s': %s\n", v.name, err);
		return 1;
	}
	printf("%s: QEMU pid %d, %s, status %s\n", v.name, (int)pid,
	       ctx->host->vm_get(ctx, "qemu.accel") ? ctx->host->vm_get(ctx, "qemu.accel") : "?",
	       json_string_value(json_object_get(st, "status")) ?: "?");
	json_decref(st);
	return 0;
}

static const struct lia_option options[] = {
	{ .name = "binary",
	  .type = LIA_OPT_STRING,
	  .default_value = "qemu-system-x86_64",
	  .help = "QEMU binary: a name looked up on PATH or a path (Debian package qemu-system-x86)" },
	{ .name = "accel",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_CHOICE,
	  .choices = "auto|kvm|tcg",
	  .default_value = "auto",
	  .help = "auto (KVM when /dev/kvm answers, else TCG), kvm or tcg" },
	{ .name = "tcg_tb_size_mib",
	  .type = LIA_OPT_INT,
	  .default_value = "64",
	  LIA_RANGE(0, 65536),
	  .help = "TCG translation cache size in MiB (0: QEMU's default)" },
	{ .name = "boot_args",
	  .type = LIA_OPT_STRING,
	  .default_value = "console=ttyS0 reboot=k panic=1 pci=off quiet init=/sbin/init",
	  .help = "kernel command line; root=/dev/vda rw (+ tsc_early_khz, tsc=reliable under TCG) and "
		  "lia.ip/lia.prefix/lia.gateway/lia.ssh_key are appended" },
	{ .name = "boot_args_extra",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .flags = LIA_OPT_EMPTY_OK,
	  .help = "appended to the kernel command line" },
	{ .name = "rng",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "give the guest a virtio-rng device fed from /dev/urandom" },
	{ .name = "stop_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "30",
	  LIA_RANGE(0, 3600),
	  .help = "seconds to wait after system_powerdown before SIGKILL" },
	{ .name = "qmp_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "5",
	  LIA_RANGE(1, 600),
	  .help = "seconds each QMP exchange may take" },
	{ .name = "socket_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "10",
	  LIA_RANGE(1, 600),
	  .help = "seconds to wait for the QMP socket after spawning" },
	{ 0 },
};

static const struct lia_hook hooks[] = {
	{ LIA_PHASE_PREFLIGHT, 0, preflight_run, NULL, NULL, "find QEMU and the accelerator" },
	{ LIA_PHASE_BOOT, 0, boot_run, boot_undo, boot_plan, "start QEMU (microvm) for the VM" },
	{ LIA_PHASE_STOP, 0, stop_run, NULL, NULL, "stop QEMU (system_powerdown, then SIGKILL)" },
	{ LIA_PHASE_DESTROY, 0, destroy_run, NULL, NULL, "remove the VM's console log" },
	{ LIA_PHASE_GC, 0, gc_run, NULL, NULL, "kill orphaned QEMUs, remove their QMP sockets" },
	{ 0 },
};

static const struct lia_command commands[] = {
	{ "qemu-status", "qemu-status NAME", cmd_status },
	{ NULL, NULL, NULL },
};

LIA_PLUGIN_DEFINE(qemu_driver) = {
	LIA_PLUGIN_HEADER,
	.name = "qemu-driver",
	.version = "0.1.0",
	.provides = "vmm",
	.description =
		"runs each VM in a qemu-system-x86_64 -M microvm process (KVM or TCG), managed over QMP",
	.options = options,
	.hooks = hooks,
	.prepare = qemu_prepare, /* boot's QMP socket entry */
	.vm_commands = commands,
};
