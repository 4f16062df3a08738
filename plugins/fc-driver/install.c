/* fc-driver's setup phase "install": put firecracker and jailer of `version` into
 * bin_dir.
 *
 * 1. Nothing to do when bin_dir/firecracker --version already reports the version
 *    (and bin_dir/jailer exists).
 * 2. The release tarball is downloaded through host->download into
 *    state_dir/install/ (a cached, verified copy costs no request next time), checked
 *    against `sha256` or the published sibling .sha256.txt.
 * 3. libarchive (opened on first use: every `vm start` loads fc-driver, only setup needs
 *    it) reads it; every entry is checked (no absolute path, no `..`, no link
 *    leaving the tree; the archive is refused as a whole otherwise) and only the two
 *    members release-V-x86_64/{firecracker,jailer}-V-x86_64 are written, to temp files
 *    in bin_dir.  We never use archive_write_disk, so no entry can place a file.
 * 4. The temp firecracker must report the version before anything is renamed into
 *    place: a wrong tarball leaves the installed binaries as they were.
 * With `install = false` nothing is downloaded: the binary the configuration names
 * (`binary`, else bin_dir/firecracker) is used as it is, and preflight fails when it
 * cannot run (a test double, a distribution package, a binary built by hand). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>

#include "install.h"

/* libarchive through pointers of its own types, resolved once (the pattern of lia-core's
 * curl_dl.c); prefixed so that they never meet another plugin's */
/* clang-format off */
#define FCI_AR_FUNCS(X) \
	X(archive_read_new) X(archive_read_free) X(archive_read_support_filter_all) \
	X(archive_read_support_format_all) X(archive_read_open_filename) X(archive_read_next_header) \
	X(archive_read_data) X(archive_error_string) X(archive_entry_pathname) \
	X(archive_entry_symlink) X(archive_entry_hardlink) X(archive_entry_filetype)
#define FCI_AR_DEFINE(f) static typeof(f) *fci_##f;
FCI_AR_FUNCS(FCI_AR_DEFINE)
#undef FCI_AR_DEFINE
/* clang-format on */
#define archive_read_new fci_archive_read_new
#define archive_read_free fci_archive_read_free
#define archive_read_support_filter_all fci_archive_read_support_filter_all
#define archive_read_support_format_all fci_archive_read_support_format_all
#define archive_read_open_filename fci_archive_read_open_filename
#define archive_read_next_header fci_archive_read_next_header
#define archive_read_data fci_archive_read_data
#define archive_error_string fci_archive_error_string
#define archive_entry_pathname fci_archive_entry_pathname
#define archive_entry_symlink fci_archive_entry_symlink
#define archive_entry_hardlink fci_archive_entry_hardlink
#define archive_entry_filetype fci_archive_entry_filetype

/* open libarchive once per process: NULL, or why not */
static const char *archive_open(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed */
	static char why[512];
	if (state == 0) {
		void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_NODELETE);
		state = 1;
		if (!h) {
			snprintf(why, sizeof why,
				 "cannot load libarchive.so.13 (%s): apt-get install libarchive13",
				 dlerror());
			state = -1;
		}
#define FCI_AR_RESOLVE(f)                                                                   \
	if (state == 1 && !(*(void **)&fci_##f = dlsym(h, #f))) {                           \
		snprintf(why, sizeof why, "libarchive.so.13 has no %s: it is too old", #f); \
		state = -1;                                                                 \
	}
		FCI_AR_FUNCS(FCI_AR_RESOLVE)
#undef FCI_AR_RESOLVE
	}
	return state > 0 ? NULL : why;
}

#define ARCH "x86_64"
#define DEFAULT_RELEASE \
	"https://github.com/firecracker-microvm/firecracker/releases/download/%s/firecracker-%s-" ARCH ".tgz"

enum { FC = 0, JAILER = 1, NBIN = 2 };
static const char *const bin_name[NBIN] = { "firecracker", "jailer" };

struct inst {
	struct lia_ctx *ctx;
	const struct lia_host *h;
	const char *version, *bin_dir;
	char *url;              /* release tarball */
	char member[NBIN][512]; /* release-V-x86_64/firecracker-V-x86_64 ... */
	char final[NBIN][4096]; /* bin_dir/firecracker ... */
	char tmp[NBIN][4096];   /* temp files in bin_dir, "" when none */
};

/* A version goes into URLs, member names and file names: keep it plain. */
static int version_ok(const char *v)
{
	if (!*v || strlen(v) > 64)
		return 0;
	for (; *v; v++)
		if (!(*v == '.' || *v == '-' || *v == '_' || (*v >= '0' && *v <= '9') ||
		      (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z')))
			return 0;
	return 1;
}

/* Does the first line of `out` name version v ("v1.6.0" or "1.6.0") as a whole word? */
static int reports_version(const char *out, const char *v)
{
	size_t ll = strcspn(out, "\n"), vl;
	const char *p;

	if (*v == 'v' || *v == 'V')
		v++;
	vl = strlen(v);
	for (p = out; (p = memmem(p, ll - (size_t)(p - out), v, vl)) != NULL; p++) {
		char before = p > out ? p[-1] : ' ', after = p[vl];
		int word_start = before == ' ' || before == 'v' || before == 'V' || before == '\t';
		int word_end = (size_t)(p - out) + vl >= ll || after == ' ' || after == '\t' ||
			       after == '\r' || after == ',' || after == ')';
		if (word_start && word_end)
			return 1;
		if ((size_t)(p - out) + vl >= ll)
			break;
	}
	return 0;
}

/* Run PATH --version; 1 when it reports the version, 0 when not (text in out). */
static int binary_reports(struct inst *in, const char *path, char *out, size_t outlen)
{
	const char *argv[] = { path, "--version", NULL };
	int status = -1;

	out[0] = 0;
	if (access(path, X_OK) < 0)
		return 0;
	if (in->h->run(in->ctx, argv, out, outlen, &status) < 0)
		return -1;
	out[strcspn(out, "\n")] = 0;
	return status == 0 && reports_version(out, in->version);
}

static int installed(struct inst *in)
{
	char out[512];
	return binary_reports(in, in->final[FC], out, sizeof out) == 1 &&
	       access(in->final[JAILER], X_OK) == 0;
}

/* Would the path, taken relative to the folder `base` inside the archive, leave the
 * archive's tree?  Absolute paths always do. */
static int escapes(const char *base, const char *p)
{
	int depth = 0;
	const char *parts[2] = { base, p };

	if (*p == '/')
		return 1;
	for (int k = 0; k < 2; k++) {
		const char *s = parts[k];
		while (s && *s) {
			size_t n = strcspn(s, "/");
			if (n == 2 && s[0] == '.' && s[1] == '.') {
				if (--depth < 0)
					return 1;
			} else if (n && !(n == 1 && s[0] == '.')) {
				depth++;
			}
			s += n;
			while (*s == '/')
				s++;
		}
	}
	return 0;
}

static int has_dotdot(const char *p)
{
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		s += n;
		while (*s == '/')
			s++;
	}
	return 0;
}

static void drop_temps(struct inst *in)
{
	for (int i = 0; i < NBIN; i++)
		if (in->tmp[i][0]) {
			unlink(in->tmp[i]);
			in->tmp[i][0] = 0;
		}
}

/* Copy the current entry's data into a new temp file beside final[i]. */
static int write_member(struct inst *in, struct archive *a, int i, const char *tgz)
{
	const struct lia_host *h = in->h;
	char buf[65536];
	la_ssize_t n;
	int fd;

	snprintf(in->tmp[i], sizeof in->tmp[i], "%s/.%s.lia-XXXXXX", in->bin_dir, bin_name[i]);
	fd = mkostemp(in->tmp[i], O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		in->tmp[i][0] = 0;
		return h->error(in->ctx, -e, "Cannot create a temporary file in %s: %s.", in->bin_dir,
				strerror(e));
	}
	while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
		for (la_ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				int e = errno;
				close(fd);
				return h->error(in->ctx, -e, "Cannot write %s: %s.", in->tmp[i], strerror(e));
			}
			off += w;
		}
	}
	if (n < 0) {
		close(fd);
		return h->error(in->ctx, -EBADMSG, "Cannot read %s from %s: %s.", in->member[i], tgz,
				archive_error_string(a));
	}
	if (fchmod(fd, 0755) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		return h->error(in->ctx, -e, "Cannot write %s: %s.", in->tmp[i], strerror(e));
	}
	close(fd);
	return 0;
}

/* Check one entry; 0 when harmless, else the recorded error. */
static int check_entry(struct inst *in, struct archive_entry *e, const char *tgz)
{
	const char *name = archive_entry_pathname(e), *link;
	char dir[1024];

	if (!name || !*name)
		return in->h->error(in->ctx, -EBADMSG,
				    "%s has an entry without a name; refusing the archive.", tgz);
	if (name[0] == '/')
		return in->h->error(in->ctx, -EPERM,
				    "%s has an entry with an absolute path (%s); refusing the archive.", tgz,
				    name);
	if (has_dotdot(name))
		return in->h->error(in->ctx, -EPERM,
				    "%s has an entry with `..` in its path (%s); refusing the archive.", tgz,
				    name);
	snprintf(dir, sizeof dir, "%s", name);
	*(strrchr(dir, '/') ? strrchr(dir, '/') : dir) = 0;
	if ((link = archive_entry_symlink(e)) && escapes(dir, link))
		return in->h->error(
			in->ctx, -EPERM,
			"%s has a symbolic link %s -> %s that leaves the archive; refusing the archive.", tgz,
			name, link);
	if ((link = archive_entry_hardlink(e)) && (link[0] == '/' || has_dotdot(link)))
		return in->h->error(
			in->ctx, -EPERM,
			"%s has a hard link %s -> %s that leaves the archive; refusing the archive.", tgz,
			name, link);
	return 0;
}

static int extract(struct inst *in, const char *tgz)
{
	const struct lia_host *h = in->h;
	const char *why = archive_open();
	if (why)
		return h->error(in->ctx, -ELIBACC, "Cannot read %s: %s.", tgz, why);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = 0, r;

	if (!a)
		return h->error(in->ctx, -ENOMEM, "Cannot read %s: out of memory.", tgz);
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, tgz, 65536) != ARCHIVE_OK) {
		rc = h->error(in->ctx, -EBADMSG, "Cannot open the archive %s: %s.", tgz,
			      archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		if ((rc = check_entry(in, e, tgz)) < 0)
			goto out;
		if (!strncmp(name, "./", 2))
			name += 2;
		for (int i = 0; i < NBIN; i++) {
			if (strcmp(name, in->member[i]))
				continue;
			if (in->tmp[i][0]) {
				rc = h->error(in->ctx, -EBADMSG, "%s holds %s twice; refusing the archive.",
					      tgz, name);
				goto out;
			}
			if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) {
				rc = h->error(in->ctx, -EBADMSG,
					      "%s in %s is not a regular file; refusing the archive.", name,
					      tgz);
				goto out;
			}
			if ((rc = write_member(in, a, i, tgz)) < 0)
				goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		rc = h->error(in->ctx, -EBADMSG, "Cannot read the archive %s: %s.", tgz,
			      archive_error_string(a));
		goto out;
	}
	for (int i = 0; i < NBIN; i++)
		if (!in->tmp[i][0]) {
			rc = h->error(in->ctx, -ENOENT, "%s (from %s) does not contain %s.", tgz, in->url,
				      in->member[i]);
			goto out;
		}
out:
	archive_read_free(a);
	if (rc < 0)
		drop_temps(in);
	return rc;
}

/* The expected sum: `sha256`, or the first word of the published .sha256.txt. */
static int expected_sum(struct inst *in, char out[65])
{
	const struct lia_host *h = in->h;
	const char *cfg = h->cfg_str(in->ctx, "sha256");
	struct lia_download req = { .size = sizeof req, .expect_size = -1, .mode = 0644 };
	char *sum_url = NULL, path[4096], text[256];
	const char *slash = strrchr(in->url, '/');
	ssize_t n;
	size_t k;
	int fd, rc;

	if (cfg && *cfg) {
		snprintf(out, 65, "%s", cfg);
		return 0;
	}
	if (!slash || asprintf(&sum_url, "%.*s/firecracker-%s-" ARCH ".tgz.sha256.txt",
			       (int)(slash - in->url), in->url, in->version) < 0)
		return h->error(in->ctx, -ENOMEM, "Out of memory.");
	if (h->path(in->ctx, path, sizeof path, "install/firecracker-%s-" ARCH ".tgz.sha256.txt",
		    in->version) < 0) {
		free(sum_url);
		return h->error(in->ctx, -ENAMETOOLONG, "The state_dir %s is too long a path.",
				h->state_dir(in->ctx));
	}
	unlink(path); /* always the published one of today, never a stale copy */
	req.url = sum_url;
	req.dest = path;
	rc = h->download(in->ctx, &req);
	if (rc < 0) {
		h->log(in->ctx, LIA_LOG_ERROR, "set fc-driver's sha256 when no %s is published", sum_url);
		free(sum_url);
		return rc;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	k = strspn(text, "0123456789abcdefABCDEF");
	if (k != 64 || (text[k] && text[k] != ' ' && text[k] != '\t' && text[k] != '\n')) {
		rc = h->error(in->ctx, -EBADMSG, "%s does not start with a SHA-256 (64 hex digits).",
			      sum_url);
		free(sum_url);
		return rc;
	}
	memcpy(out, text, 64);
	out[64] = 0;
	free(sum_url);
	return 0;
}

static int setup(struct lia_ctx *ctx, struct inst *in)
{
	const struct lia_host *h = ctx->host;
	const char *rel;

	memset(in, 0, sizeof *in);
	in->ctx = ctx;
	in->h = h;
	in->version = h->cfg_str(ctx, "version");
	in->bin_dir = h->cfg_str(ctx, "bin_dir");
	rel = h->cfg_str(ctx, "release_url");
	if (!in->version || !version_ok(in->version))
		return h->error(ctx, -EINVAL, "fc-driver: version \"%s\" is not a release name like v1.6.0",
				in->version ? in->version : "");
	if (!in->bin_dir || in->bin_dir[0] != '/')
		return h->error(ctx, -EINVAL, "fc-driver: bin_dir \"%s\" must be an absolute path",
				in->bin_dir ? in->bin_dir : "");
	if (rel && *rel)
		in->url = strdup(rel);
	else if (asprintf(&in->url, DEFAULT_RELEASE, in->version, in->version) < 0)
		in->url = NULL;
	if (!in->url)
		return h->error(ctx, -ENOMEM, "out of memory");
	for (int i = 0; i < NBIN; i++) {
		snprintf(in->member[i], sizeof in->member[i], "release-%s-" ARCH "/%s-%s-" ARCH, in->version,
			 bin_name[i], in->version);
		if ((size_t)snprintf(in->final[i], sizeof in->final[i], "%s/%s", in->bin_dir, bin_name[i]) >=
		    sizeof in->final[i])
			return h->error(ctx, -ENAMETOOLONG, "fc-driver: bin_dir %s is too long a path",
					in->bin_dir);
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fsync(fd);
	close(fd);
	return 0;
}

static int do_install(struct inst *in)
{
	const struct lia_host *h = in->h;
	struct lia_download req = { .size = sizeof req, .expect_size = -1, .mode = 0644 };
	char cache[4096], tgz[4096], want[65], out[512];
	const char *base = strrchr(in->url, '/');
	int rc;

	if (installed(in)) {
		h->log(in->ctx, LIA_LOG_INFO, "%s already reports %s", in->final[FC], in->version);
		return LIA_OK;
	}
	if (h->path(in->ctx, cache, sizeof cache, "install") < 0)
		return h->error(in->ctx, -ENAMETOOLONG, "The state_dir %s is too long a path.",
				h->state_dir(in->ctx));
	/* --only install may run before the host plugin made state_dir */
	if ((rc = h->mkdirs(in->ctx, cache, 0755)) < 0 || (rc = h->mkdirs(in->ctx, in->bin_dir, 0755)) < 0)
		return rc;
	if ((rc = expected_sum(in, want)) < 0)
		return rc;
	if (h->path(in->ctx, tgz, sizeof tgz, "install/%s", base && base[1] ? base + 1 : "firecracker.tgz") <
	    0)
		return h->error(in->ctx, -ENAMETOOLONG, "The state_dir %s is too long a path.",
				h->state_dir(in->ctx));
	req.url = in->url;
	req.dest = tgz;
	req.sha256 = want;
	if ((rc = h->download(in->ctx, &req)) < 0)
		return rc;
	if ((rc = extract(in, tgz)) < 0)
		return rc;
	/* check what we extracted BEFORE it replaces anything */
	for (int i = 0; i < NBIN; i++) {
		rc = binary_reports(in, in->tmp[i], out, sizeof out);
		if (rc != 1) {
			drop_temps(in);
			if (rc < 0)
				return rc;
			return h->error(
				in->ctx, -EBADMSG,
				"The %s in %s reports \"%s\" to --version, not %s; the installed binaries in %s were left as they were.",
				bin_name[i], in->url, out, in->version, in->bin_dir);
		}
	}
	for (int i = 0; i < NBIN; i++) {
		if (rename(in->tmp[i], in->final[i]) < 0) {
			rc = h->error(in->ctx, -errno, "Cannot rename %s to %s: %s.", in->tmp[i],
				      in->final[i], strerror(errno));
			drop_temps(in);
			return rc;
		}
		in->tmp[i][0] = 0;
	}
	fsync_dir(in->bin_dir);
	h->note(in->ctx, "installed firecracker and jailer %s into %s", in->version, in->bin_dir);
	return LIA_OK;
}

/* install = false: the VMM binary as configured (same rule as fc-driver's boot) */
static void given_binary(struct lia_ctx *ctx, char *buf, size_t len)
{
	const char *b = ctx->host->cfg_str(ctx, "binary"), *d = ctx->host->cfg_str(ctx, "bin_dir");
	if (b && *b)
		snprintf(buf, len, "%s", b);
	else
		snprintf(buf, len, "%s/firecracker", d && *d ? d : "/usr/local/bin");
}

int fc_install_preflight(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	char bin[4096];

	if (h->cfg_bool(ctx, "install"))
		return 0;
	given_binary(ctx, bin, sizeof bin);
	if (access(bin, X_OK) < 0) {
		int e = errno;
		return h->error(
			ctx, -e,
			"the Firecracker binary %s is %s (fc-driver.install = false at %s: lia never downloads it; set fc-driver.binary to one you provide)",
			bin, e == ENOENT ? "missing" : "not executable", h->cfg_where(ctx, "install"));
	}
	return 0;
}

int fc_install_run(struct lia_ctx *ctx, void *state)
{
	struct inst in;
	int rc;
	(void)state;

	if (!ctx->host->cfg_bool(ctx, "install")) {
		if ((rc = fc_install_preflight(ctx)) < 0)
			return rc;
		return LIA_HOOK_SKIP;
	}

	rc = setup(ctx, &in);
	if (rc == 0)
		rc = do_install(&in);
	drop_temps(&in);
	free(in.url);
	return rc;
}

int fc_install_plan(struct lia_ctx *ctx, void *state)
{
	const char *sha = ctx->host->cfg_str(ctx, "sha256");
	struct inst in;
	int rc;
	(void)state;

	if (!ctx->host->cfg_bool(ctx, "install")) {
		char bin[4096];
		given_binary(ctx, bin, sizeof bin);
		if ((rc = fc_install_preflight(ctx)) < 0)
			return rc;
		ctx->host->note(ctx, "use %s as it is (install = false: nothing is downloaded)", bin);
		return 0;
	}
	if ((rc = setup(ctx, &in)) == 0 && !installed(&in)) {
		ctx->host->note(ctx, "download %s (checked against %s)", in.url,
				sha && *sha ? "the configured sha256" : "the published .sha256.txt");
		ctx->host->note(ctx, "install firecracker and jailer %s into %s (mode 0755)", in.version,
				in.bin_dir);
	}
	free(in.url);
	return rc;
}
