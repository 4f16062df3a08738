/* api_units.c - the services phase of the host plugin: lia-vm-api.service and
 * lia-vm-api.socket (`lia-core serve`, the VM API daemon) in unit_dir, enabled the way
 * `systemctl enable` does it (links in sockets.target.wants), with the socket's group
 * created when missing.  Teardown (undo) removes what the memo says was written.  The text
 * is built here, like net-bridge's lia-network.service; conf/lia-vm-api.* say the same. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "api_units.h"

extern char **environ;

static int unit_texts(struct lia_ctx *ctx, char *svc, size_t slen, char *sock, size_t klen)
{
	const struct lia_host *h = ctx->host;
	const char *core = h->cfg_str(ctx, "lia_core_path"), *conf = h->cfg_str(ctx, "unit_config");
	const char *path = h->cfg_str(ctx, "api_socket"), *group = h->cfg_str(ctx, "api_group");
	int n = snprintf(
		svc, slen,
		"# Installed by lia's host plugin; `lia-core run teardown` removes it.\n"
		"[Unit]\nDescription=lia VM API daemon (lia-core serve)\nDocumentation=man:lia-vm-api(8)\n"
		"After=network.target lia-network.service lia-vm-api.socket\nWants=lia-network.service\n"
		"Requires=lia-vm-api.socket\n\n"
		"[Service]\nType=notify\nExecStart=%s%s%s serve\nRestart=on-failure\nRestartSec=2\n"
		"# VMs are processes of their own: stopping or restarting the daemon must not stop them\n"
		"KillMode=process\nTimeoutStopSec=330\n"
		"NoNewPrivileges=yes\nProtectSystem=full\nProtectHome=read-only\nPrivateTmp=yes\nProtectClock=yes\n"
		"ProtectKernelLogs=yes\nProtectControlGroups=yes\nRestrictRealtime=yes\nLockPersonality=yes\n"
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_VSOCK\n\n"
		"[Install]\nWantedBy=multi-user.target\nAlso=lia-vm-api.socket\n",
		core, *conf ? " -c " : "", conf);
	if (n < 0 || (size_t)n >= slen)
		return h->error(ctx, -ENAMETOOLONG, "the text of lia-vm-api.service is too long");
	n = snprintf(
		sock, klen,
		"# Installed by lia's host plugin; `lia-core run teardown` removes it.\n"
		"[Unit]\nDescription=lia VM API socket\nDocumentation=man:lia-vm-api(8)\n\n"
		"[Socket]\nListenStream=%s\nSocketMode=0660\n%s%s%sDirectoryMode=0755\nRemoveOnStop=yes\n\n"
		"[Install]\nWantedBy=sockets.target\n",
		path, *group ? "SocketGroup=" : "", group, *group ? "\n" : "");
	if (n < 0 || (size_t)n >= klen)
		return h->error(ctx, -ENAMETOOLONG, "the text of lia-vm-api.socket is too long");
	return 0;
}

static int same_content(const char *path, const char *text)
{
	char buf[8192];
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strcmp(buf, text) == 0;
}

static int write_atomic(struct lia_ctx *ctx, const char *path, const char *text)
{
	char tmp[4200];
	size_t len = strlen(text);
	snprintf(tmp, sizeof tmp, "%s.lia-tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ctx->host->error(ctx, -errno, "cannot create %s: %s", tmp, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		int e = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		return ctx->host->error(ctx, -e, "cannot write %s: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return ctx->host->error(ctx, -e, "cannot rename %s to %s: %s", tmp, path, strerror(e));
	}
	return 0;
}

static int ensure_group(struct lia_ctx *ctx, const char *group, int dry)
{
	if (!*group || getgrnam(group))
		return 0;
	ctx->host->note(ctx, "create the group %s (members may use the VM API socket)", group);
	if (dry)
		return 0;
	char *argv[] = { (char *)"groupadd", (char *)"--system", (char *)group, NULL };
	pid_t pid;
	int status = -1;
	if (posix_spawnp(&pid, "groupadd", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	if (status != 0 || !getgrnam(group))
		return ctx->host->error(ctx, -EIO,
					"cannot create the group '%s' (groupadd --system %s failed)", group,
					group);
	return ctx->host->memo_set(ctx, "api_group_created", group);
}

/* one unit file, and its link in TARGET.wants */
static int install_one(struct lia_ctx *ctx, const char *dir, const char *name, const char *text,
		       const char *target, const char *memo, int dry)
{
	const struct lia_host *h = ctx->host;
	char path[4096], wdir[4096], link[4200], got[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(wdir, sizeof wdir, "%s/%s.wants", dir, target);
	snprintf(link, sizeof link, "%s/%s", wdir, name);
	int r;
	if (!same_content(path, text)) {
		h->note(ctx, "install %s", path);
		if (!dry &&
		    ((r = h->memo_set(ctx, memo, path)) < 0 || (r = write_atomic(ctx, path, text)) < 0))
			return r;
	}
	if (!h->cfg_bool(ctx, "enable_units"))
		return 0;
	ssize_t n = readlink(link, got, sizeof got - 1);
	if (n >= 0 && (size_t)n == strlen(path) && !memcmp(got, path, (size_t)n))
		return 0;
	h->note(ctx, "enable %s (link %s)", name, link);
	if (dry)
		return 0;
	char key[64];
	if (mkdir(wdir, 0755) == 0) {
		snprintf(key, sizeof key, "%s_dir", memo); /* ours: teardown removes it when empty */
		if ((r = h->memo_set(ctx, key, wdir)) < 0)
			return r;
	} else if (errno != EEXIST) {
		return h->error(ctx, -errno, "cannot create %s: %s", wdir, strerror(errno));
	}
	snprintf(key, sizeof key, "%s_link", memo);
	if ((r = h->memo_set(ctx, key, link)) < 0)
		return r;
	if (n >= 0)
		unlink(link);
	if (symlink(path, link) < 0)
		return h->error(ctx, -errno, "cannot link %s to %s: %s", link, path, strerror(errno));
	return 0;
}

int host_api_units_install(struct lia_ctx *ctx, int dry)
{
	const struct lia_host *h = ctx->host;
	if (!h->cfg_bool(ctx, "api_units"))
		return LIA_HOOK_SKIP;
	const char *dir = h->cfg_str(ctx, "unit_dir");
	struct stat sb;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		h->log(ctx, LIA_LOG_WARN,
		       "unit directory %s does not exist (is this host running systemd?), so lia-vm-api is not installed; set host.unit_dir",
		       dir);
		return 0;
	}
	char svc[8192], sock[2048];
	int r;
	if ((r = unit_texts(ctx, svc, sizeof svc, sock, sizeof sock)) < 0 ||
	    (r = ensure_group(ctx, h->cfg_str(ctx, "api_group"), dry)) < 0 ||
	    (r = install_one(ctx, dir, "lia-vm-api.socket", sock, "sockets.target", "api_socket_unit", dry)) <
		    0 ||
	    (r = install_one(ctx, dir, "lia-vm-api.service", svc, "multi-user.target", "api_service_unit",
			     dry)) < 0)
		return r;
	return 0;
}

int host_api_units_remove(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	const char *keys[] = { "api_service_unit_link", "api_service_unit", "api_socket_unit_link",
			       "api_socket_unit" };
	char path[4096];
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *p = h->memo_get(ctx, keys[i]);
		if (!p)
			continue;
		snprintf(path, sizeof path, "%s", p);
		if (unlink(path) < 0 && errno != ENOENT)
			return h->error(ctx, -errno, "cannot remove %s: %s", path, strerror(errno));
		h->note(ctx, "remove %s", path);
		h->memo_set(ctx, keys[i], NULL);
	}
	const char *dirs[] = { "api_service_unit_dir", "api_socket_unit_dir" };
	for (size_t i = 0; i < 2; i++) {
		const char *d = h->memo_get(ctx, dirs[i]);
		if (!d)
			continue;
		snprintf(path, sizeof path, "%s", d);
		if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
			return h->error(ctx, -errno, "cannot remove %s: %s", path, strerror(errno));
		h->memo_set(ctx, dirs[i], NULL);
	}
	/* the group stays: files and members may use it; `groupdel` is the administrator's */
	return 0;
}
