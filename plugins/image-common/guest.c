/* The guest settings every lia image gets, whatever built its tree: the rootfs/
 * overlay (sshd_config, lia-init, agent-sidecar), hostname, resolv.conf, a getty on
 * ttyS0, the OpenRC services, /workspace, and no baked-in ssh host keys (sshd's
 * init script makes them at first boot, so every VM gets its own). */
#include "image-common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LIA_ROOTFS_DIR
#define LIA_ROOTFS_DIR "/usr/share/lia/rootfs"
#endif

#define TTYS0_LINE "ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100"

/* Alpine's own /etc/inittab, for trees that come without one */
static const char default_inittab[] = "# /etc/inittab (written by lia: the tree had none)\n"
				      "::sysinit:/sbin/openrc sysinit\n"
				      "::sysinit:/sbin/openrc boot\n"
				      "::wait:/sbin/openrc default\n"
				      "::ctrlaltdel:/sbin/reboot\n"
				      "::shutdown:/sbin/openrc shutdown\n";

/* OpenRC services linked into their runlevels when the tree has their script.
 * required: the build fails without it (they come from the overlay). */
static const struct {
	const char *level, *name;
	int required;
} services[] = {
	{ "sysinit", "devfs", 0 },      { "sysinit", "dmesg", 0 },     { "sysinit", "mdev", 0 },
	{ "boot", "root", 0 },          { "boot", "localmount", 0 },   { "boot", "hostname", 0 },
	{ "boot", "bootmisc", 0 },      { "boot", "sysctl", 0 },       { "boot", "syslog", 0 },
	{ "default", "sshd", 0 },       { "default", "lia-init", 1 },  { "default", "agent-sidecar", 1 },
	{ "shutdown", "killprocs", 0 }, { "shutdown", "mount-ro", 0 }, { "shutdown", "savecache", 0 },
};

static int valid_hostname(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 63 || h[0] == '-' || h[n - 1] == '-')
		return 0;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

int img_check_name(const char *s)
{
	return s && *s && *s != '-' && !strpbrk(s, " \t\r\n");
}

int img_guest_from_cfg(struct lia_ctx *ctx, struct img_guest *g)
{
	const struct lia_host *h = ctx->host;
	const char *env = getenv(IMG_DEFAULT_OVERLAY_ENV);
	g->ttys0_line = g->ttys0_prefix = NULL; /* the plugin sets them after this call */
	g->overlay = h->cfg_str(ctx, "overlay");
	if (!h->cfg_is_set(ctx, "overlay") && env && *env)
		g->overlay = env;
	if (!g->overlay || !*g->overlay)
		g->overlay = LIA_ROOTFS_DIR;
	g->hostname = h->cfg_str(ctx, "hostname");
	const char *const *dns = NULL;
	g->ndns = h->cfg_strings(ctx, "dns", &dns);
	g->dns = dns;
	g->size_mib = h->cfg_int(ctx, "size_mib");
	if (!g->hostname || !valid_hostname(g->hostname))
		return IMG_ERR(ctx, -EINVAL,
			       "the hostname '%s' is not a valid host name (letters, digits, '-', up to 63)",
			       g->hostname ? g->hostname : "");
	for (size_t i = 0; i < g->ndns; i++) {
		unsigned char a[16];
		if (inet_pton(AF_INET, g->dns[i], a) != 1 && inet_pton(AF_INET6, g->dns[i], a) != 1)
			return IMG_ERR(ctx, -EINVAL, "the dns entry '%s' is not an IPv4 or IPv6 address",
				       g->dns[i]);
	}
	if (g->size_mib < 64 || g->size_mib > 1024 * 1024)
		return IMG_ERR(ctx, -EINVAL, "size_mib = %lld is out of range (64 to 1048576 MiB)",
			       (long long)g->size_mib);
	return 0;
}

int img_guest_inputs(struct lia_ctx *ctx, const struct img_guest *g, json_t *inputs)
{
	char sum[65];
	int r = img_tree_checksum(ctx, g->overlay, 0, sum);
	if (r < 0)
		return r;
	json_t *dns = json_array();
	for (size_t i = 0; i < g->ndns; i++)
		json_array_append_new(dns, json_string(g->dns[i]));
	json_object_set_new(inputs, "overlay", json_string(g->overlay));
	json_object_set_new(inputs, "overlay_sha256", json_string(sum));
	json_object_set_new(inputs, "hostname", json_string(g->hostname));
	json_object_set_new(inputs, "dns", dns);
	json_object_set_new(inputs, "size_mib", json_integer(g->size_mib));
	return 0;
}

/* keep the tree's inittab, with exactly one active ttyS0 line: ours */
static int fix_inittab(struct lia_ctx *ctx, const struct img_guest *g, int rootfd)
{
	char *old = NULL;
	size_t len = 0;
	int r = img_root_read(rootfd, "etc/inittab", &old, &len);
	if (r == -ENOENT) {
		old = strdup(default_inittab);
		len = old ? strlen(old) : 0;
		r = old ? 0 : -ENOMEM;
	}
	if (r < 0)
		return IMG_ERR(ctx, r, "cannot read etc/inittab of the image tree: %s", strerror(-r));
	char *out = malloc(len + strlen(g->ttys0_line ? g->ttys0_line : TTYS0_LINE) + 2);
	if (!out) {
		free(old);
		return -ENOMEM;
	}
	const char *want = g->ttys0_line ? g->ttys0_line : TTYS0_LINE;
	const char *prefix = g->ttys0_prefix ? g->ttys0_prefix : "ttyS0::";
	size_t n = 0, pl = strlen(prefix);
	for (char *line = old; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (!(l >= pl && strncmp(line, prefix, pl) == 0)) { /* drop other ttyS0 lines */
			memcpy(out + n, line, l);
			n += l;
			out[n++] = '\n';
		}
		line = nl ? nl + 1 : NULL;
	}
	n += (size_t)sprintf(out + n, "%s\n", want);
	r = img_root_write(rootfd, "etc/inittab", out, n, 0644);
	free(old);
	free(out);
	return r < 0 ? IMG_ERR(ctx, r, "cannot write etc/inittab of the image tree: %s", strerror(-r)) : 0;
}

static int enable_services(struct lia_ctx *ctx, int rootfd)
{
	for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
		char script[128], link[160], target[128];
		snprintf(script, sizeof script, "etc/init.d/%s", services[i].name);
		snprintf(target, sizeof target, "/etc/init.d/%s", services[i].name);
		snprintf(link, sizeof link, "etc/runlevels/%s/%s", services[i].level, services[i].name);
		int fd = img_root_open(rootfd, script, O_RDONLY, 0);
		if (fd < 0) {
			if (services[i].required)
				return IMG_ERR(
					ctx, -ENOENT,
					"the service script /%s is missing from the image tree (is the overlay complete?)",
					script);
			ctx->host->log(ctx, LIA_LOG_DEBUG, "no /%s in the tree: not enabled", script);
			continue;
		}
		close(fd);
		char dir[64];
		snprintf(dir, sizeof dir, "etc/runlevels/%s", services[i].level);
		int r = img_root_mkdir(rootfd, dir, 0755);
		if (r == 0)
			r = img_root_symlink(rootfd, link, target);
		if (r < 0)
			return IMG_ERR(ctx, r, "cannot enable the service %s in runlevel %s: %s",
				       services[i].name, services[i].level, strerror(-r));
	}
	return 0;
}

/* host keys are made at first boot (lia-init runs ssh-keygen before sshd starts): one
 * set per VM, none baked into the image every VM is cloned from */
static int drop_host_keys(struct lia_ctx *ctx, int rootfd)
{
	int fd = img_root_open(rootfd, "etc/ssh", O_DIRECTORY | O_RDONLY, 0);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "ssh_host_", 9) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			r = IMG_ERR(ctx, -errno, "cannot remove the baked host key /etc/ssh/%s", de->d_name);
	}
	closedir(d);
	return r;
}

int img_guest_finish(struct lia_ctx *ctx, const struct img_guest *g, int rootfd)
{
	int r = img_tree_copy(ctx, g->overlay, rootfd, 1);
	if (r < 0)
		return r;
	char buf[1024];
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s\n", g->hostname);
	r = img_root_mkdir(rootfd, "etc", 0755);
	if (r == 0)
		r = img_root_write(rootfd, "etc/hostname", buf, n, 0644);
	n = (size_t)snprintf(buf, sizeof buf, "# written by lia at image build\n");
	for (size_t i = 0; i < g->ndns && n < sizeof buf - 64; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "nameserver %s\n", g->dns[i]);
	if (r == 0)
		r = img_root_write(rootfd, "etc/resolv.conf", buf, n, 0644);
	if (r < 0)
		return IMG_ERR(ctx, r, "cannot write the hostname or resolv.conf of the image tree: %s",
			       strerror(-r));
	if ((r = fix_inittab(ctx, g, rootfd)) < 0 || (r = enable_services(ctx, rootfd)) < 0 ||
	    (r = drop_host_keys(ctx, rootfd)) < 0)
		return r;
	if ((r = img_root_mkdir(rootfd, "workspace", 0755)) < 0 ||
	    (r = img_root_mkdir(rootfd, "var/log", 0755)) < 0 ||
	    (r = img_root_mkdir(rootfd, "root", 0700)) < 0)
		return IMG_ERR(ctx, r, "cannot make /workspace, /var/log or /root in the image tree: %s",
			       strerror(-r));
	return 0;
}
