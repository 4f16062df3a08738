/* host: the first two setup phases.  preflight checks what lia needs by capability (not
 * lsmod: modules are often built in), dirs lays out state_dir. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <lia/plugin.h>
#include "api_units.h"

static const struct lia_option options[] = {
	{ .name = "kvm_device",
	  .type = LIA_OPT_STRING,
	  .default_value = "/dev/kvm",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "the KVM device to check" },
	{ .name = "tun_device",
	  .type = LIA_OPT_STRING,
	  .default_value = "/dev/net/tun",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "the TUN clone device to check" },
	{ .name = "require_kvm",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "a missing or unusable KVM fails preflight" },
	{ .name = "min_kernel",
	  .type = LIA_OPT_STRING,
	  .default_value = "4.14",
	  .help = "the oldest kernel lia supports" },
	{ .name = "api_units",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "the services phase installs lia-vm-api.service and .socket (lia-core serve)" },
	{ .name = "unit_dir",
	  .type = LIA_OPT_STRING,
	  .default_value = "/etc/systemd/system",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "where the services phase installs the lia-vm-api units" },
	{ .name = "enable_units",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "link the units into sockets.target.wants and multi-user.target.wants" },
	{ .name = "lia_core_path",
	  .type = LIA_OPT_STRING,
	  .default_value = LIA_BINDIR "/lia-core",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "the lia-core the service runs" },
	{ .name = "unit_config",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_EMPTY_OK,
	  .help = "configuration file the service passes with -c; \"\": lia-core's default" },
	{ .name = "api_socket",
	  .type = LIA_OPT_STRING,
	  .default_value = "/run/lia/api.sock",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "the socket lia-vm-api.socket listens on (socket activation: the daemon uses it, not lia.api_listen)" },
	{ .name = "api_group",
	  .type = LIA_OPT_STRING,
	  .default_value = "lia",
	  .flags = LIA_OPT_EMPTY_OK,
	  .help = "group of that socket, created when missing" },
	{ 0 },
};

/* capability bits of this process (effective set) */
static int has_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* "vmx" (Intel VT-x) or "svm" (AMD-V) when /proc/cpuinfo's flags show one, else NULL */
static const char *cpu_virt_flag(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return NULL;
	char line[4096];
	const char *found = NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		if (strstr(line, " vmx"))
			found = "vmx";
		else if (strstr(line, " svm"))
			found = "svm";
		else
			break; /* every CPU shows the same flags */
	}
	fclose(f);
	return found;
}

static int check_kvm(struct lia_ctx *ctx, const char *dev, char *why, size_t n)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		const char *flag = cpu_virt_flag();
		/* say what fits the cause: a missing device is not a permission problem */
		if (e == EACCES || e == EPERM)
			snprintf(why, n,
				 "%s cannot be opened (%s): run lia as root, or add this user to "
				 "the group that owns it (usermod -aG kvm USER)",
				 dev, strerror(e));
		else if (e == ENOENT && flag)
			snprintf(why, n,
				 "%s does not exist, though the CPU has virtualization (%s): load "
				 "the KVM module (modprobe %s); without KVM set `require_kvm = false;` "
				 "in the host block (VMs then cannot boot here)",
				 dev, flag, strcmp(flag, "vmx") == 0 ? "kvm_intel" : "kvm_amd");
		else if (e == ENOENT)
			snprintf(why, n,
				 "%s does not exist and the CPU shows no virtualization (no vmx or "
				 "svm flag): enable VT-x/AMD-V in the firmware, or nested virtualization "
				 "if this machine is itself a VM; without KVM set `require_kvm = false;` "
				 "in the host block (VMs then cannot boot here)",
				 dev);
		else
			snprintf(why, n, "%s cannot be opened (%s)", dev, strerror(e));
		return -1;
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION) {
		snprintf(why, n, "%s answers KVM_GET_API_VERSION with %d, expected %d", dev, v,
			 KVM_API_VERSION);
		return -1;
	}
	return 0;
}

static int kernel_at_least(const char *rel, const char *min)
{
	int a = 0, b = 0, x = 0, y = 0;
	sscanf(rel, "%d.%d", &a, &b);
	sscanf(min, "%d.%d", &x, &y);
	return a > x || (a == x && b >= y);
}

static int preflight(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	int bad = 0;
	char why[512];
	const char *kvm = h->cfg_str(ctx, "kvm_device");
	if (check_kvm(ctx, kvm, why, sizeof(why)) < 0) {
		if (h->cfg_bool(ctx, "require_kvm")) {
			h->log(ctx, LIA_LOG_ERROR, "%s", why);
			bad++;
		} else {
			h->log(ctx, LIA_LOG_WARN, "%s", why);
		}
	} else {
		h->note(ctx, "KVM: %s answers API version %d", kvm, KVM_API_VERSION);
	}
	if (geteuid() != 0 && !(has_cap(CAP_NET_ADMIN) && has_cap(CAP_SYS_ADMIN))) {
		h->log(ctx, LIA_LOG_ERROR,
		       "lia needs root or the capabilities CAP_NET_ADMIN and CAP_SYS_ADMIN: run it as root");
		bad++;
	} else {
		h->note(ctx, "privileges: %s", geteuid() == 0 ? "root" : "CAP_NET_ADMIN, CAP_SYS_ADMIN");
	}
	const char *tun = h->cfg_str(ctx, "tun_device");
	int fd = open(tun, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		h->log(ctx, LIA_LOG_ERROR,
		       "%s cannot be opened (%s): the kernel needs CONFIG_TUN, and the device node must exist (mknod %s c 10 200)",
		       tun, strerror(errno), tun);
		bad++;
	} else {
		close(fd);
		h->note(ctx, "TUN: %s opens", tun);
	}
	struct utsname u;
	uname(&u);
	const char *min = h->cfg_str(ctx, "min_kernel");
	if (!kernel_at_least(u.release, min)) {
		h->log(ctx, LIA_LOG_ERROR, "kernel %s is older than %s, the oldest lia supports", u.release,
		       min);
		bad++;
	} else {
		h->note(ctx, "kernel: %s (>= %s)", u.release, min);
	}
	if (bad)
		return h->error(ctx, -ENODEV, "%d host check(s) failed; see the messages above", bad);
	return 0;
}

static const struct {
	const char *sub;
	mode_t mode;
} tree[] = {
	{ "", 0755 },     { "kernel", 0755 }, { "rootfs", 0755 }, { "volumes", 0750 }, { "sockets", 0700 },
	{ "logs", 0750 }, { "taps", 0755 },   { "vms", 0700 },    { "host", 0700 },
};

static int dirs(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	int dry = h->dry_run(ctx);
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		char p[4096];
		if (h->path(ctx, p, sizeof(p), "%s", tree[i].sub) < 0)
			return h->error(ctx, -ENAMETOOLONG, "state_dir is too long");
		size_t n = strlen(p);
		if (n > 1 && p[n - 1] == '/')
			p[n - 1] = 0;
		struct stat st;
		if (stat(p, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return h->error(ctx, -ENOTDIR, "%s exists and is not a directory", p);
			if ((st.st_mode & 07777) != tree[i].mode) {
				if (dry) {
					h->note(ctx, "chmod %04o %s", tree[i].mode, p);
				} else if (chmod(p, tree[i].mode) < 0) {
					return h->error(ctx, -errno, "cannot chmod %s: %s", p,
							strerror(errno));
				} else {
					h->note(ctx, "chmod %04o %s", tree[i].mode, p);
				}
			}
			continue;
		}
		if (dry) {
			h->note(ctx, "mkdir %s (mode %04o)", p, tree[i].mode);
			continue;
		}
		if (tree[i].sub[0] == 0) {
			/* the parents of state_dir itself */
			char parent[4096];
			snprintf(parent, sizeof(parent), "%s", p);
			for (char *s = parent + 1; *s; s++)
				if (*s == '/') {
					*s = 0;
					mkdir(parent, 0755);
					*s = '/';
				}
		}
		if (mkdir(p, tree[i].mode) < 0 && errno != EEXIST)
			return h->error(ctx, -errno, "cannot create %s: %s", p, strerror(errno));
		chmod(p, tree[i].mode); /* umask must not change the mode */
		h->note(ctx, "created %s (mode %04o)", p, tree[i].mode);
	}
	return 0;
}

static int dirs_plan(struct lia_ctx *ctx, void *state)
{
	return dirs(ctx, state); /* honours dry_run: only notes */
}

static int services(struct lia_ctx *ctx, void *state)
{
	(void)state;
	return host_api_units_install(ctx, 0);
}

static int services_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	return host_api_units_install(ctx, 1);
}

static int services_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	return host_api_units_remove(ctx);
}

static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_PREFLIGHT,
	  .priority = 100,
	  .run = preflight,
	  .plan = NULL,
	  .summary = "check KVM, privileges, TUN and the kernel version" },
	{ .phase = LIA_PHASE_DIRS,
	  .priority = 100,
	  .run = dirs,
	  .plan = dirs_plan,
	  .summary = "create state_dir and its kernel, rootfs, volumes, sockets, logs, taps, vms folders" },
	{ .phase = LIA_PHASE_SERVICES,
	  .priority = 500,
	  .run = services,
	  .plan = services_plan,
	  .undo = services_undo,
	  .summary = "install lia-vm-api.service and lia-vm-api.socket (the VM API daemon)" },
	{ 0 },
};

LIA_PLUGIN_DEFINE(host) = {
	LIA_PLUGIN_HEADER,
	.name = "host",
	.version = PACKAGE_VERSION,
	.provides = "host",
	.description =
		"host checks (preflight), the state directory tree (dirs), the VM API daemon's units (services)",
	.options = options,
	.hooks = hooks,
};
