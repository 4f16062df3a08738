/* fc-driver: runs each VM in its own firecracker process (role "vmm").
 *   boot:  spawn firecracker, wait for its API socket, configure it over the API,
 *          InstanceStart.  undo = forced stop + cleanup.
 *   stop:  SendCtrlAltDel, wait stop_timeout, SIGKILL; reap; remove sockets; record the
 *          exit status.  Works from the VM record alone, so a lia-core other than the one
 *          that started the VM can stop it.
 *   destroy: remove the VM's log files.   gc: kill VMMs and remove API sockets that no VM
 *          record owns.   install: see install.c. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lia/plugin.h>

#include "confine.h"
#include "fc-api.h"
#include "fc-args.h"
#include "fc-jail.h"
#include "vmm-gc.h"
#include "vmm-proc.h"
#include "vmm-record.h"
#include "vmm-file.h"
#include "install.h"

/* snprintf for messages: truncating a long path in an error text is fine */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Everything one VM's process needs, computed from config + record. */
struct fc_vm {
	const char *name;
	char api[PATH_MAX];     /* host path of the API socket (a symlink into the jail when jailed) */
	char console[PATH_MAX]; /* firecracker's stdout+stderr: the guest's serial console */
	char log[PATH_MAX];
	char metrics[PATH_MAX];
	char binary[PATH_MAX];
	int jailed;
	struct fc_jail jail;
};

static const char *bin_dir(struct lia_ctx *ctx)
{
	const char *d = ctx->host->cfg_str(ctx, "bin_dir");
	return d && *d ? d : "/usr/local/bin";
}

static int vm_paths(struct lia_ctx *ctx, struct fc_vm *v)
{
	const char *b = ctx->host->cfg_str(ctx, "binary");
	memset(v, 0, sizeof(*v));
	v->name = ctx->host->vm_name(ctx);
	if (!v->name)
		return ctx->host->error(ctx, -EINVAL, "fc-driver was called without a VM");
	if (!fc_valid_instance_id(v->name))
		return ctx->host->error(ctx, -EINVAL,
					"VM name '%s' is not a valid Firecracker id (1-64 letters, digits "
					"or hyphens)",
					v->name);
	if (ctx->host->path(ctx, v->api, sizeof(v->api), "sockets/%s.api", v->name) ||
	    ctx->host->path(ctx, v->console, sizeof(v->console), "logs/%s.console.log", v->name) ||
	    ctx->host->path(ctx, v->log, sizeof(v->log), "logs/%s.fc.log", v->name) ||
	    ctx->host->path(ctx, v->metrics, sizeof(v->metrics), "logs/%s.metrics", v->name))
		return ctx->host->error(ctx, -ENAMETOOLONG, "the state directory path %s is too long",
					ctx->host->state_dir(ctx));
	if (strlen(v->api) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return ctx->host->error(ctx, -ENAMETOOLONG,
					"the API socket path %s is longer than a Unix socket allows (107 "
					"bytes); use a shorter state_dir",
					v->api);
	if (b && *b)
		snprintf(v->binary, sizeof(v->binary), "%s", b);
	else
		snprintf(v->binary, sizeof(v->binary), "%s/firecracker", bin_dir(ctx));
	v->jailed = ctx->host->cfg_bool(ctx, "jailer");
	if (v->jailed) {
		int r = fc_jail_init(&v->jail, ctx->host->cfg_str(ctx, "chroot_base"), v->binary, v->name,
				     (uid_t)ctx->host->cfg_int(ctx, "uid"),
				     (gid_t)ctx->host->cfg_int(ctx, "gid"));
		if (r < 0)
			return ctx->host->error(ctx, r, "the jail path for VM '%s' is too long", v->name);
	}
	return 0;
}

static int forced(struct lia_ctx *ctx)
{
	return ctx->host->vm_force(ctx); /* `vm stop --force`, gc reclaiming a dead VM */
}

/* a file of our own at path, empty; a link or other thing planted there is replaced */
static int open_fresh(struct lia_ctx *ctx, const char *path, int append, char *err, size_t errlen)
{
	int replaced, fd = vmm_open_fresh(path, append, &replaced, err, errlen);
	if (replaced)
		ctx->host->log(
			ctx, LIA_LOG_WARN,
			"%s was not a plain file of lia's (a symbolic link, hard link or device): removed it and made a new file",
			path);
	return fd;
}

static int create_empty(struct lia_ctx *ctx, const char *path, char *err, size_t errlen)
{
	/* v1.6 opens log/metrics without O_CREAT: they must exist; truncate old runs */
	int fd = open_fresh(ctx, path, 0, err, errlen);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Ask the guest to shut down: PUT /actions SendCtrlAltDel.  1 when accepted. */
static int send_ctrl_alt_del(struct lia_ctx *ctx, const char *api)
{
	struct fc_api *a = fc_api_open(api, (long)ctx->host->cfg_int(ctx, "api_timeout") * 1000);
	char err[512];
	int ok = 0;
	if (!a)
		return 0;
	json_t *b = fc_body_action("SendCtrlAltDel");
	int st = b ? fc_api_put(a, "/actions", b, err, sizeof(err)) : -1;
	json_decref(b);
	fc_api_close(a);
	if (st >= 200 && st < 300)
		ok = 1;
	else
		ctx->host->log(ctx, LIA_LOG_INFO, "SendCtrlAltDel was not accepted (%s); killing the VMM",
			       st < 0   ? err
			       : err[0] ? err
					: "no answer");
	return ok;
}

/* Stop the process (gracefully unless force), reap it, record its exit status, remove the
 * sockets and ledger entries.  Idempotent; works from the record alone.  0 or negative
 * errno (the error is recorded only when report is set). */
static int teardown(struct lia_ctx *ctx, struct fc_vm *v, int graceful, int report)
{
	pid_t pid = (pid_t)ctx->host->vm_get_int(ctx, "fc.pid", 0);
	uint64_t start = (uint64_t)ctx->host->vm_get_int(ctx, "fc.pid_start", 0);
	char uds[PATH_MAX]; /* removed only inside sockets/: a record may have been edited */
	int ur = lia_vm_path_in(ctx, "vsock.uds", "sockets", uds, sizeof uds);

	if (pid > 0) {
		int status = -1, gone, killed = 0;
		gone = vmm_wait_exit(pid, start, 0, &status);
		if (!gone && graceful && send_ctrl_alt_del(ctx, v->api))
			gone = vmm_wait_exit(pid, start, (long)ctx->host->cfg_int(ctx, "stop_timeout") * 1000,
					     &status);
		if (!gone)
			gone = vmm_kill_reap(pid, start, &status, &killed);
		if (!gone) {
			/* e.g. stuck in D state: keep the ledger so gc retries */
			if (report)
				return ctx->host->error(ctx, -EBUSY,
							"firecracker (pid %d) of VM '%s' did not die after "
							"SIGKILL within 5 seconds",
							(int)pid, v->name);
			return -EBUSY;
		}
		/* not our child (another lia-core started it): Firecracker logs its exit code */
		if (status < 0)
			status = vmm_log_last_int(v->log, "exit_code=");
		if (status < 0)
			status = vmm_log_last_int(v->console, "exit_code=");
		if (status < 0 && killed)
			status = 128 + SIGKILL;
		vmm_forget_process(ctx, "fc", "firecracker", pid, start, status);
	}
	/* Firecracker never removes its sockets; a stale one makes the next start fail */
	vmm_unlink_socket(v->api);
	ctx->host->ledger_del(ctx, "socket", v->api);
	if (ur == 0)
		vmm_unlink_socket(uds);
	if (v->jailed) {
		int r = fc_jail_remove(&v->jail);
		if (r < 0)
			ctx->host->log(ctx, LIA_LOG_WARN, "cannot remove the jail %s: %s", v->jail.dir,
				       strerror(-r));
	}
	ctx->host->vm_set(ctx, "fc.api_sock", NULL);
	return 0;
}

/* ---- boot ----------------------------------------------------------------------- */

struct call {
	char path[64];
	json_t *body;
};

struct boot {
	struct call calls[10];
	int n;
	char argbuf[FC_CMDLINE_MAX];
	char initrd[PATH_MAX]; /* "" when none */
};

static void boot_free(struct boot *b)
{
	for (int i = 0; i < b->n; i++)
		json_decref(b->calls[i].body);
	b->n = 0;
}

static int add_call(struct boot *b, const char *path, json_t *body)
{
	if (!body || b->n >= (int)(sizeof(b->calls) / sizeof(b->calls[0]))) {
		json_decref(body);
		return -ENOMEM;
	}
	snprintf(b->calls[b->n].path, sizeof(b->calls[0].path), "%s", path);
	b->calls[b->n++].body = body;
	return 0;
}

static int check_file(struct lia_ctx *ctx, const char *what, const char *path)
{
	if (access(path, R_OK) < 0)
		return ctx->host->error(ctx, -errno, "the %s %s of VM '%s' cannot be read: %s", what, path,
					ctx->host->vm_name(ctx), strerror(errno));
	return 0;
}

static int check_kernel(struct lia_ctx *ctx, const char *path)
{
	unsigned char head[0x210];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctx->host->error(ctx, -errno,
					"the kernel %s cannot be opened: %s (run `lia-core run setup` or set "
					"the VM's kernel)",
					path, strerror(errno));
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	int kind = fc_kernel_kind(head, n > 0 ? (size_t)n : 0);
	if (kind == 1)
		return 0;
	if (kind == 2)
		return ctx->host->error(ctx, -ENOEXEC,
					"the kernel %s is a bzImage; Firecracker 1.6 on x86_64 boots only an "
					"uncompressed ELF vmlinux (extract it with scripts/extract-vmlinux)",
					path);
	return ctx->host->error(ctx, -ENOEXEC, "the kernel %s is not an ELF vmlinux", path);
}

/* In jailer mode put src into the chroot and return the inside path; else src itself. */
static const char *placed(struct lia_ctx *ctx, struct fc_vm *v, const char *src, const char *name,
			  int copy_ok, char *buf, size_t len, int *rc)
{
	char err[PATH_MAX * 2 + 128];
	if (!v->jailed)
		return src;
	int r = fc_jail_place(ctx, &v->jail, src, name, copy_ok, buf, len, err, sizeof(err));
	if (r < 0) {
		*rc = ctx->host->error(ctx, r, "jailer setup for VM '%s' failed: %s", v->name, err);
		return NULL;
	}
	return buf;
}

/* Validate everything and build every API body before anything is created. */
static int plan_boot(struct lia_ctx *ctx, struct fc_vm *v, struct boot *b)
{
	char kernel[PATH_MAX];
	const char *k = ctx->host->vm_get(ctx, "kernel");
	const char *root = ctx->host->vm_get(ctx, "disk.root");
	const char *data = ctx->host->vm_get(ctx, "disk.data");
	const char *tap = ctx->host->vm_get(ctx, "net.tap");
	const char *uds = ctx->host->vm_get(ctx, "vsock.uds");
	int64_t cid = ctx->host->vm_get_int(ctx, "vsock.cid", -1);
	int64_t vcpus = ctx->host->vm_get_int(ctx, "vcpus", 1),
		mem = ctx->host->vm_get_int(ctx, "mem_mib", 128);
	int r;

	if (k && *k)
		snprintf(kernel, sizeof(kernel), "%s", k);
	else if (ctx->host->path(ctx, kernel, sizeof(kernel), "kernel/vmlinux"))
		return ctx->host->error(ctx, -ENAMETOOLONG, "the kernel path is too long");
	if ((r = check_kernel(ctx, kernel)) < 0)
		return r;
	/* the kernel phase's initramfs (kernel-debian), when there is one beside the kernel */
	if ((k && *k) || ctx->host->path(ctx, b->initrd, sizeof(b->initrd), "kernel/initrd") ||
	    access(b->initrd, R_OK) < 0)
		b->initrd[0] = '\0';
	if (!root || !*root)
		return ctx->host->error(ctx, -ENOENT,
					"VM '%s' has no root disk (disk.root); is an image plugin enabled?",
					v->name);
	if ((r = check_file(ctx, "root disk", root)) < 0)
		return r;
	if (data && *data && (r = check_file(ctx, "data disk", data)) < 0)
		return r;
	if (vcpus < 1 || vcpus > 32)
		return ctx->host->error(ctx, -EINVAL,
					"VM '%s' asks for %" PRId64 " vCPUs; Firecracker allows 1 to 32.",
					v->name, vcpus);
	if (mem < 1)
		return ctx->host->error(ctx, -EINVAL, "VM '%s' asks for %" PRId64 " MiB of memory.", v->name,
					mem);
	if (uds && *uds && (cid < 3 || cid > UINT32_MAX))
		return ctx->host->error(ctx, -EINVAL, "VM '%s' has vsock.uds but no valid vsock.cid (>= 3)",
					v->name);
	if (access(v->binary, X_OK) < 0)
		return ctx->host->error(ctx, -errno,
					"the Firecracker binary %s cannot be run: %s (run the install phase "
					"or set fc-driver.binary)",
					v->binary, strerror(errno));
	if (v->jailed) {
		const char *jb = ctx->host->cfg_str(ctx, "jailer_binary");
		char def[PATH_MAX];
		snprintf(def, sizeof(def), "%s/jailer", bin_dir(ctx));
		if (access(jb && *jb ? jb : def, X_OK) < 0)
			return ctx->host->error(ctx, -errno, "the jailer %s cannot be run: %s",
						jb && *jb ? jb : def, strerror(errno));
	}
	struct lia_bootargs ba = {
		.base = ctx->host->cfg_str(ctx, "boot_args"),
		.ip = ctx->host->vm_get(ctx, "net.ip"),
		.prefix = ctx->host->vm_get(ctx, "net.prefix"),
		.gateway = ctx->host->vm_get(ctx, "net.gateway"),
		.ssh_key = ctx->host->vm_get(ctx, "ssh_key"),
		.extra = ctx->host->cfg_str(ctx, "boot_args_extra"),
	};
	if (fc_boot_args(b->argbuf, sizeof(b->argbuf), &ba) < 0)
		return ctx->host->error(
			ctx, -E2BIG,
			"the kernel command line of VM '%s' would exceed %d bytes (Firecracker's "
			"limit is %d including what it appends); shorten boot_args_extra or the "
			"SSH key",
			v->name, FC_CMDLINE_MAX - FC_CMDLINE_RESERVE, FC_CMDLINE_MAX);
	/* paths for the jail are placed later (they need the jail to exist); bodies name
	 * them now with their final inside names */
	const char *kin = v->jailed ? "/vmlinux" : kernel;
	if (add_call(b, "/logger", fc_body_logger(v->jailed ? "/fc.log" : v->log)) ||
	    add_call(b, "/metrics", fc_body_metrics(v->jailed ? "/fc.metrics" : v->metrics)) ||
	    add_call(b, "/boot-source",
		     fc_body_boot_source(kin, b->initrd[0] ? (v->jailed ? "/initrd" : b->initrd) : NULL,
					 b->argbuf)) ||
	    add_call(b, "/machine-config", fc_body_machine(vcpus, mem)) ||
	    add_call(b, "/drives/rootfs", fc_body_drive("rootfs", v->jailed ? "/rootfs.ext4" : root, 1)) ||
	    (data && *data &&
	     add_call(b, "/drives/data", fc_body_drive("data", v->jailed ? "/data.ext4" : data, 0))) ||
	    (tap && *tap &&
	     add_call(b, "/network-interfaces/eth0",
		      fc_body_net("eth0", tap, ctx->host->vm_get(ctx, "net.mac")))) ||
	    (uds && *uds && add_call(b, "/vsock", fc_body_vsock(cid, v->jailed ? "/vsock.sock" : uds))) ||
	    add_call(b, "/actions", fc_body_action("InstanceStart"))) {
		boot_free(b);
		return ctx->host->error(ctx, -ENOMEM, "out of memory building Firecracker requests");
	}
	return 0;
}

/* jailer mode: kernel, disks and log files into the chroot; symlinks for the sockets */
static int prepare_jail(struct lia_ctx *ctx, struct fc_vm *v)
{
	char in[PATH_MAX], kernel[PATH_MAX], sock[PATH_MAX + 32];
	const char *k = ctx->host->vm_get(ctx, "kernel"), *data = ctx->host->vm_get(ctx, "disk.data");
	const char *uds = ctx->host->vm_get(ctx, "vsock.uds");
	int rc = 0;
	if (k && *k)
		snprintf(kernel, sizeof(kernel), "%s", k);
	else
		ctx->host->path(ctx, kernel, sizeof(kernel), "kernel/vmlinux");
	char initrd[PATH_MAX];
	if (!(k && *k) && ctx->host->path(ctx, initrd, sizeof(initrd), "kernel/initrd") == 0 &&
	    access(initrd, R_OK) == 0 && !placed(ctx, v, initrd, "initrd", 1, in, sizeof(in), &rc))
		return rc;
	if (!placed(ctx, v, kernel, "vmlinux", 1, in, sizeof(in), &rc) ||
	    !placed(ctx, v, ctx->host->vm_get(ctx, "disk.root"), "rootfs.ext4", 0, in, sizeof(in), &rc) ||
	    (data && *data && !placed(ctx, v, data, "data.ext4", 0, in, sizeof(in), &rc)) ||
	    !placed(ctx, v, v->log, "fc.log", 0, in, sizeof(in), &rc) ||
	    !placed(ctx, v, v->metrics, "fc.metrics", 0, in, sizeof(in), &rc))
		return rc;
	/* the jailer binds the API socket at <root>/run/firecracker.socket */
	snprintf(sock, sizeof(sock), "%s/run/firecracker.socket", v->jail.root);
	if (symlink(sock, v->api) < 0)
		return ctx->host->error(ctx, -errno, "cannot create the API socket link %s: %s", v->api,
					strerror(errno));
	if (uds && *uds) {
		snprintf(sock, sizeof(sock), "%s/vsock.sock", v->jail.root);
		if (symlink(sock, uds) < 0)
			return ctx->host->error(ctx, -errno, "cannot create the vsock socket link %s: %s",
						uds, strerror(errno));
	}
	return 0;
}

static int launch(struct lia_ctx *ctx, struct fc_vm *v, char *err, size_t errlen)
{
	char uid[24], gid[24], cgv[24];
	const char *argv[32];
	int n = 0, r;
	pid_t pid;

	int con = open_fresh(ctx, v->console, 1, err, errlen);
	if (con < 0)
		return con;
	if (v->jailed) {
		const char *jb = ctx->host->cfg_str(ctx, "jailer_binary"),
			   *ns = ctx->host->cfg_str(ctx, "netns");
		static char def[PATH_MAX];
		snprintf(def, sizeof(def), "%s/jailer", bin_dir(ctx));
		snprintf(uid, sizeof(uid), "%" PRId64, ctx->host->cfg_int(ctx, "uid"));
		snprintf(gid, sizeof(gid), "%" PRId64, ctx->host->cfg_int(ctx, "gid"));
		snprintf(cgv, sizeof(cgv), "%" PRId64, ctx->host->cfg_int(ctx, "cgroup_version"));
		argv[n++] = jb && *jb ? jb : def;
		argv[n++] = "--id";
		argv[n++] = v->name;
		argv[n++] = "--exec-file";
		argv[n++] = v->binary;
		argv[n++] = "--uid";
		argv[n++] = uid;
		argv[n++] = "--gid";
		argv[n++] = gid;
		argv[n++] = "--chroot-base-dir";
		argv[n++] = ctx->host->cfg_str(ctx, "chroot_base");
		argv[n++] = "--cgroup-version";
		argv[n++] = cgv;
		if (ns && *ns) {
			argv[n++] = "--netns";
			argv[n++] = ns;
		}
		argv[n++] = "--";
		argv[n++] = "--api-sock";
		argv[n++] = "/run/firecracker.socket";
	} else {
		argv[n++] = v->binary;
		argv[n++] = "--api-sock";
		argv[n++] = v->api;
		argv[n++] = "--id";
		argv[n++] = v->name;
	}
	argv[n] = NULL;
	r = vmm_spawn(argv, con, &pid, err, errlen);
	close(con);
	if (r)
		return -r;
	/* record the process before anything else can fail: undo/gc find it from here */
	uint64_t start;
	ctx->host->vm_set(ctx, "fc.api_sock", v->api);
	if ((r = vmm_record_process(ctx, "fc", pid, &start)) < 0) {
		say(err, errlen, "cannot record firecracker's pid in the VM record");
		return r;
	}
	int status;
	r = vmm_wait_socket(v->api, pid, start, (long)ctx->host->cfg_int(ctx, "socket_timeout") * 1000,
			    &status);
	if (r == -ECHILD) {
		char tail[400];
		vmm_log_tail(v->console, tail, sizeof(tail));
		say(err, errlen,
		    "firecracker (%s) exited with status %d before its API socket %s was ready; "
		    "console log %s: %s",
		    argv[0], status, v->api, v->console, tail[0] ? tail : "(empty)");
		return r;
	}
	if (r < 0) {
		say(err, errlen,
		    "the API socket %s of firecracker (pid %d) did not accept a "
		    "connection within %" PRId64 " s: %s",
		    v->api, (int)pid, ctx->host->cfg_int(ctx, "socket_timeout"), strerror(-r));
		return r;
	}
	return 0;
}

/* prepare (boot): the API socket's ledger entry, with run()'s check that no VMM of this VM
 * still runs, so that the core saves it with the record's "starting" */
static int fc_prepare(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct fc_vm v;
	int r;

	if (ctx->host->phase(ctx) != LIA_PHASE_BOOT)
		return 0;
	if ((r = vm_paths(ctx, &v)) < 0)
		return r;
	pid_t old = (pid_t)ctx->host->vm_get_int(ctx, "fc.pid", 0);
	if (old > 0 && vmm_alive(old, (uint64_t)ctx->host->vm_get_int(ctx, "fc.pid_start", 0)))
		return ctx->host->error(ctx, -EBUSY, "VM '%s' already runs (firecracker pid %d)", v.name,
					(int)old);
	return ctx->host->ledger_add(ctx, "socket", v.api);
}

static int boot_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct fc_vm v;
	struct boot b = { .n = 0 };
	char err[2048], msg[3072];
	int r;

	if ((r = vm_paths(ctx, &v)) < 0)
		return r;
	if ((r = plan_boot(ctx, &v, &b)) < 0)
		return r;
	/* a VM record that still names a live VMM: refuse instead of starting a second one */
	pid_t old = (pid_t)ctx->host->vm_get_int(ctx, "fc.pid", 0);
	if (old > 0 && vmm_alive(old, (uint64_t)ctx->host->vm_get_int(ctx, "fc.pid_start", 0))) {
		boot_free(&b);
		return ctx->host->error(ctx, -EBUSY, "VM '%s' already runs (firecracker pid %d)", v.name,
					(int)old);
	}
	/* a firecracker that died under us (kill -9, host crash): forget it and its ledger
	 * entries before the new one, or the stale pid entry outlives every later stop */
	if (old > 0 && (r = teardown(ctx, &v, 0, 1)) < 0) {
		boot_free(&b);
		return r;
	}
	/* ledger first, then the object */
	if ((r = ctx->host->ledger_add(ctx, "socket", v.api)) < 0) {
		boot_free(&b);
		return r;
	}
	char dir[PATH_MAX];
	ctx->host->path(ctx, dir, sizeof(dir), "sockets");
	mkdir(dir, 0755);
	ctx->host->path(ctx, dir, sizeof(dir), "logs");
	mkdir(dir, 0755);
	vmm_unlink_socket(v.api); /* stale from a crashed run: firecracker would refuse to bind */
	char uds[PATH_MAX];
	r = lia_vm_path_in(ctx, "vsock.uds", "sockets", uds, sizeof uds);
	if (r == -EPERM) {
		boot_free(&b);
		teardown(ctx, &v, 0, 0);
		return r;
	}
	if (r == 0)
		vmm_unlink_socket(uds); /* PUT /vsock fails with AddrInUse otherwise */

	r = create_empty(ctx, v.log, err, sizeof(err));
	if (!r)
		r = create_empty(ctx, v.metrics, err, sizeof(err));
	if (!r && v.jailed) {
		r = prepare_jail(ctx, &v);
		if (r < 0) {
			boot_free(&b);
			teardown(ctx, &v, 0, 0);
			return r;
		}
	}
	if (!r)
		r = launch(ctx, &v, err, sizeof(err));
	if (r < 0) {
		say(msg, sizeof(msg), "Starting firecracker for VM '%s' failed: %s.", v.name, err);
		goto fail;
	}
	struct fc_api *api = fc_api_open(v.api, (long)ctx->host->cfg_int(ctx, "api_timeout") * 1000);
	if (!api) {
		r = -errno;
		say(msg, sizeof(msg), "Cannot set up an HTTP client for %s of VM '%s': %s.", v.api, v.name,
		    strerror(errno));
		goto fail;
	}
	for (int i = 0; i < b.n; i++) {
		int st = fc_api_put(api, b.calls[i].path, b.calls[i].body, err, sizeof(err));
		if (st >= 200 && st < 300)
			continue;
		if (st < 0) {
			char tail[400];
			vmm_log_tail(v.console, tail, sizeof(tail));
			say(msg, sizeof(msg),
			    "PUT %s to firecracker of VM '%s' got no answer: %s (console log: %s).",
			    b.calls[i].path, v.name, err, tail[0] ? tail : "(empty)");
			r = -EIO;
		} else {
			say(msg, sizeof(msg), "Firecracker rejected PUT %s for VM '%s' (HTTP %d): %s",
			    b.calls[i].path, v.name, st, err);
			r = -EINVAL;
		}
		fc_api_close(api);
		goto fail;
	}
	fc_api_close(api);
	boot_free(&b);
	ctx->host->note(ctx, "started firecracker (pid %" PRId64 ") for VM '%s'",
			ctx->host->vm_get_int(ctx, "fc.pid", 0), v.name);
	return LIA_OK;
fail:
	boot_free(&b);
	/* this hook's own leftovers: the core undoes only the steps that succeeded */
	teardown(ctx, &v, 0, 0);
	return ctx->host->error(ctx, r, "%s", msg);
}

static int boot_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct fc_vm v;
	int r = vm_paths(ctx, &v);
	if (r < 0)
		return r;
	return teardown(ctx, &v, 0, 1);
}

static int boot_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct fc_vm v;
	if (vm_paths(ctx, &v) < 0)
		return -1;
	ctx->host->note(ctx, "start %s --api-sock %s --id %s%s", v.binary, v.api, v.name,
			v.jailed ? " under the jailer" : "");
	ctx->host->note(ctx, "configure logger, metrics, boot source, machine, drives, network, vsock; "
			     "InstanceStart");
	return 0;
}

/* ---- stop / destroy / gc ----------------------------------------------------------- */

static int stop_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct fc_vm v;
	int r = vm_paths(ctx, &v);
	if (r < 0)
		return r;
	return teardown(ctx, &v, !forced(ctx), 1);
}

static int destroy_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct fc_vm v;
	int r = vm_paths(ctx, &v);
	if (r < 0)
		return r;
	/* normally stopped already; never leave a VMM behind a destroyed record */
	if ((r = teardown(ctx, &v, 0, 1)) < 0)
		return r;
	unlink(v.console);
	unlink(v.log);
	unlink(v.metrics);
	return LIA_OK;
}

/* the API socket of a firecracker process: the value after "--api-sock" */
static int proc_api_sock(const char *pid, char *out, size_t outlen)
{
	return vmm_proc_arg(pid, "--api-sock", out, outlen);
}

static int gc_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static const struct vmm_gc g = {
		.vmm = "firecracker", .socket = "API socket", .suffix = ".api", .socket_of = proc_api_sock
	};
	return vmm_gc_orphans(ctx, &g);
}

static int preflight_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	int rc = fc_install_preflight(ctx); /* install = false: the given binary must run */
	if (rc < 0)
		return rc;
	/* a warning, not a failure: the API test double and `run setup` work without KVM */
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		ctx->host->log(ctx, LIA_LOG_WARN,
			       "/dev/kvm is not usable (%s): firecracker will fail at InstanceStart",
			       strerror(errno));
	return LIA_OK;
}

static const struct lia_option options[] = {
	FC_INSTALL_OPTIONS,
	{ .name = "binary",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .help = "firecracker binary (default: bin_dir/firecracker)" },
	{ .name = "boot_args",
	  .type = LIA_OPT_STRING,
	  .default_value = "console=ttyS0 reboot=k panic=1 pci=off init=/sbin/init",
	  .help = "kernel command line; lia.ip/lia.gateway/lia.ssh_key are appended" },
	{ .name = "boot_args_extra",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "appended to the kernel command line" },
	{ .name = "stop_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "10",
	  LIA_RANGE(0, 3600),
	  .help = "seconds to wait after SendCtrlAltDel before SIGKILL" },
	{ .name = "api_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "5",
	  LIA_RANGE(1, 600),
	  .help = "seconds each API request may take" },
	{ .name = "socket_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "5",
	  LIA_RANGE(1, 600),
	  .help = "seconds to wait for the API socket after spawning" },
	{ .name = "jailer",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "start firecracker through the jailer" },
	{ .name = "jailer_binary",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .help = "jailer binary (default: bin_dir/jailer)" },
	{ .name = "uid",
	  .type = LIA_OPT_INT,
	  .default_value = "0",
	  LIA_RANGE(0, 4294967294),
	  .help = "jailer: uid firecracker runs as" },
	{ .name = "gid",
	  .type = LIA_OPT_INT,
	  .default_value = "0",
	  LIA_RANGE(0, 4294967294),
	  .help = "jailer: gid firecracker runs as" },
	{ .name = "chroot_base",
	  .type = LIA_OPT_STRING,
	  .default_value = "/srv/jailer",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "jailer: chroot base directory" },
	{ .name = "cgroup_version",
	  .type = LIA_OPT_INT,
	  .default_value = "2",
	  LIA_RANGE(1, 2),
	  .help = "jailer: cgroup version (1 or 2)" },
	{ .name = "netns",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .help = "jailer: network namespace path to join" },
	{ 0 },
};

/* teardown leaves the installed binaries (other tools may use them, and a reinstall
 * means a download): this undo exists to say so, rather than pass over them silently */
static int install_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	char fc[PATH_MAX];
	snprintf(fc, sizeof(fc), "%s/firecracker", bin_dir(ctx));
	if (access(fc, F_OK) == 0)
		ctx->host->note(ctx,
				"kept the installed firecracker and jailer in %s: teardown does "
				"not uninstall them (remove them by hand if they are not wanted)",
				bin_dir(ctx));
	return 0;
}

static const struct lia_hook hooks[] = {
	{ LIA_PHASE_PREFLIGHT, 0, preflight_run, NULL, NULL, "check /dev/kvm" },
	{ LIA_PHASE_INSTALL, .run = fc_install_run, .undo = install_undo, .plan = fc_install_plan,
	  .summary = "install firecracker and jailer (teardown keeps them)" },
	{ LIA_PHASE_BOOT, 0, boot_run, boot_undo, boot_plan, "start and configure firecracker" },
	{ LIA_PHASE_STOP, 0, stop_run, NULL, NULL, "stop firecracker (SendCtrlAltDel, then SIGKILL)" },
	{ LIA_PHASE_DESTROY, 0, destroy_run, NULL, NULL, "remove the VM's firecracker logs" },
	{ LIA_PHASE_GC, 0, gc_run, NULL, NULL, "kill orphaned firecrackers, remove their sockets" },
	{ 0 },
};

LIA_PLUGIN_DEFINE(fc_driver) = {
	LIA_PLUGIN_HEADER,
	.name = "fc-driver",
	.version = PACKAGE_VERSION,
	.provides = "vmm",
	.description = "runs each VM in a Firecracker process configured over its API",
	.options = options,
	.hooks = hooks,
	.prepare = fc_prepare, /* boot's API socket entry */
};
