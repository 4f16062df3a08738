/* unit.c - lia-network.service: at boot, re-run lia-core's network phase (bridge,
 * forwarding and NAT do not survive a reboot).  The text is built here, not read from
 * conf/lia-network.service.in, so an installed plugin needs no data file; both say the same. */
#include "net-bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_NAME "lia-network.service"

/* One word of ExecStart=, written so that systemd reads back exactly `in`
 * (systemd.syntax(7), systemd.service(5)): '%' would be a specifier in any word and '$'
 * a variable in an argument, so they are doubled; a word with white space, quotes, a
 * backslash or a ';' (a lone one separates commands) goes in double quotes with '"' and
 * '\' escaped.  Control characters (a newline would end the line and start a directive
 * of its own) cannot be written safely: -EINVAL.  The program itself (exec) is not
 * variable-expanded, and systemd refuses one holding quotes or backslashes: -EDOM. */
static int unit_word(const char *in, int exec, char *out, size_t len)
{
	int quote = !*in;
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -EINVAL;
		if (exec && strchr("\"'\\", *p))
			return -EDOM;
		if (strchr(" \"'\\;", *p))
			quote = 1;
	}
#define PUT(c)                                \
	do {                                  \
		if (o + 1 >= len)             \
			return -ENAMETOOLONG; \
		out[o++] = (c);               \
	} while (0)
	if (quote)
		PUT('"');
	for (const char *p = in; *p; p++) {
		if (*p == '%' || (*p == '$' && !exec))
			PUT(*p);
		else if (quote && (*p == '"' || *p == '\\'))
			PUT('\\');
		PUT(*p);
	}
	if (quote)
		PUT('"');
#undef PUT
	out[o] = 0;
	return 0;
}

static int bad_word(struct lia_ctx *ctx, const char *key, const char *v, int r)
{
	if (r == -EINVAL) /* the value itself would break the message's line */
		return ctx->host->error(
			ctx, -EINVAL,
			"net-bridge.%s holds a control character (such as a newline), which cannot go into %s; fix the setting",
			key, UNIT_NAME);
	return ctx->host->error(ctx, r, "net-bridge.%s '%s' cannot go into %s: %s", key, v, UNIT_NAME,
				r == -EDOM ? "systemd refuses a program path with quotes or backslashes"
					   : "it is too long");
}

int nb_unit_text(struct lia_ctx *ctx, char *buf, size_t len)
{
	const char *core = ctx->host->cfg_str(ctx, "lia_core_path");
	const char *conf = ctx->host->cfg_str(ctx, "unit_config");
	char qcore[4200], qconf[4200], cflag[4300] = "";
	int n, r;

	if (!core || core[0] != '/')
		return ctx->host->error(
			ctx, -EINVAL, "net-bridge.lia_core_path '%s' is not an absolute path, which %s needs",
			core ? core : "", UNIT_NAME);
	if ((r = unit_word(core, 1, qcore, sizeof qcore)) < 0)
		return bad_word(ctx, "lia_core_path", core, r);
	if (conf && *conf) {
		if ((r = unit_word(conf, 0, qconf, sizeof qconf)) < 0)
			return bad_word(ctx, "unit_config", conf, r);
		snprintf(cflag, sizeof cflag, " -c %s", qconf);
	}
	n = snprintf(buf, len,
		     "# Installed by lia's net-bridge plugin; `lia-core run teardown` removes it.\n"
		     "[Unit]\n"
		     "Description=lia network bridge, IPv4 forwarding and NAT\n"
		     "After=network.target\n"
		     "\n"
		     "[Service]\n"
		     "Type=oneshot\n"
		     "RemainAfterExit=yes\n"
		     "ExecStart=%s%s run setup --only network\n"
		     "\n"
		     "[Install]\n"
		     "WantedBy=multi-user.target\n",
		     qcore, cflag);
	if (n < 0 || (size_t)n >= len)
		return ctx->host->error(ctx, -ENAMETOOLONG, "the unit text for %s is too long", UNIT_NAME);
	return 0;
}

/* 1 when path holds exactly text */
static int same_content(const char *path, const char *text)
{
	char buf[8192];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strcmp(buf, text) == 0;
}

static int write_atomic(struct lia_ctx *ctx, const char *path, const char *text)
{
	char tmp[4200];
	int fd, e;
	size_t len = strlen(text);

	snprintf(tmp, sizeof tmp, "%s.lia-tmp", path);
	/* a fresh file: a stale temp (or a link planted as one) is removed, not written through */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return ctx->host->error(ctx, -errno, "cannot remove %s: %s", tmp, strerror(errno));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return ctx->host->error(ctx, -errno, "cannot create %s: %s", tmp, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		e = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		return ctx->host->error(ctx, -e, "cannot write %s: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		return ctx->host->error(ctx, -e, "cannot rename %s to %s: %s", tmp, path, strerror(e));
	}
	return 0;
}

int nb_unit_install(struct lia_ctx *ctx, int dry)
{
	const struct lia_host *h = ctx->host;
	const char *dir = h->cfg_str(ctx, "unit_dir");
	char text[8192], path[4096], wants_dir[4096], wants[4200], target[4096];
	struct stat sb;
	int r;
	ssize_t n;

	if ((r = nb_unit_text(ctx, text, sizeof text)) < 0)
		return r;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		h->log(ctx, LIA_LOG_WARN,
		       "unit directory %s does not exist (is this host running systemd?), so %s is not installed; set net-bridge.unit_dir",
		       dir, UNIT_NAME);
		return 0;
	}
	snprintf(path, sizeof path, "%s/%s", dir, UNIT_NAME);
	snprintf(wants_dir, sizeof wants_dir, "%s/multi-user.target.wants", dir);
	snprintf(wants, sizeof wants, "%s/%s", wants_dir, UNIT_NAME);
	if (!same_content(path, text)) {
		h->note(ctx, "install %s", path);
		if (!dry) {
			/* memo first: a crash after the write still lets teardown find the file */
			if ((r = h->memo_set(ctx, "unit", path)) < 0)
				return r;
			if ((r = write_atomic(ctx, path, text)) < 0)
				return r;
		}
	}
	if (!h->cfg_bool(ctx, "enable_unit"))
		return 0;
	/* what `systemctl enable` does, without needing systemctl (or a running systemd) */
	n = readlink(wants, target, sizeof target - 1);
	if (n >= 0 && (size_t)n == strlen(path) && !memcmp(target, path, (size_t)n))
		return 0;
	h->note(ctx, "enable %s (link %s)", UNIT_NAME, wants);
	if (dry)
		return 0;
	if (mkdir(wants_dir, 0755) == 0) {
		if ((r = h->memo_set(ctx, "unit_wants_dir", wants_dir)) < 0)
			return r;
	} else if (errno != EEXIST) {
		return h->error(ctx, -errno, "cannot create %s: %s", wants_dir, strerror(errno));
	}
	if ((r = h->memo_set(ctx, "unit_wants", wants)) < 0)
		return r;
	if (n >= 0)
		unlink(wants);
	if (symlink(path, wants) < 0)
		return h->error(ctx, -errno, "cannot link %s to %s: %s", wants, path, strerror(errno));
	return 0;
}

int nb_unit_remove(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	const char *keys[] = { "unit_wants", "unit" };
	char path[4096];

	for (size_t i = 0; i < 2; i++) {
		const char *p = h->memo_get(ctx, keys[i]);
		if (!p)
			continue;
		snprintf(path, sizeof path, "%s", p);
		if (unlink(path) < 0 && errno != ENOENT)
			return h->error(ctx, -errno, "cannot remove %s: %s", path, strerror(errno));
		h->note(ctx, "remove %s", path);
		h->memo_set(ctx, keys[i], NULL);
	}
	/* the .wants directory only when we made it and nothing else uses it */
	const char *d = h->memo_get(ctx, "unit_wants_dir");
	if (d) {
		snprintf(path, sizeof path, "%s", d);
		if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
			return h->error(ctx, -errno, "cannot remove %s: %s", path, strerror(errno));
		h->memo_set(ctx, "unit_wants_dir", NULL);
	}
	return 0;
}
