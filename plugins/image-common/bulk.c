/* Large files around `mkfs.ext4 -d`.  e2fsprogs 1.47 copies file data one 4 KiB pwrite64
 * per block: 128,000 system calls for 500 MiB, most of the image write's time, on tmpfs
 * as well as on disk.  So before mkfs each large plain file (one link, no xattrs, a name
 * debugfs reads as one word) moves to a side folder, leaving an empty stand-in with the
 * same owner, mode and times; mkfs writes the small rest.  After mkfs, one debugfs run
 * allocates each file's blocks (fallocate, as unwritten extents) and sets its size, the
 * data goes into those blocks by copy_file_range, and a second run marks the extents
 * written.  Both runs end with the file's extent list, which is checked: the first
 * covers the whole file in order (else nothing is copied), the second is the same and
 * written. */
#include "image-common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <sys/types.h>
#include <unistd.h>

#define BULK_MIN_SIZE (256 * 1024) /* below this mkfs's own writes cost little */

struct bulk_extent {
	uint64_t logical, physical, len; /* blocks */
};

struct bulk_file {
	char *rel;
	off_t size;
	size_t n;
	struct bulk_extent *ext;
};

struct img_bulk {
	const char *side;
	int sidefd;
	unsigned blocksize;
	size_t n, cap;
	struct bulk_file *f;
};

/* a name debugfs takes as one word, whatever its command parser does with quotes */
static int debugfs_safe(const char *rel)
{
	for (const char *p = rel; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/._-+,@=", *p)))
			return 0;
	return *rel != '\0';
}

/* an empty file NAME in DIRFD with ST's owner, mode and times; 0 or -errno (then gone) */
static int make_stand_in(int dirfd, const char *name, const struct stat *st)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	int r = 0;
	/* chown first: it clears set-id bits, which fchmod then restores */
	if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
	    futimens(fd, times) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		unlinkat(dirfd, name, 0);
	return r;
}

static int set_aside(struct lia_ctx *ctx, const struct img_tree_entry *e, void *arg)
{
	struct img_bulk *b = arg;
	const struct stat *st = e->st;
	/* a sparse file stays with mkfs, which keeps its holes (here every block gets written) */
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 || st->st_size < BULK_MIN_SIZE ||
	    (off_t)st->st_blocks * 512 < st->st_size || !debugfs_safe(e->rel))
		return 0;
	int fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0; /* mkfs reads it, or names the trouble */
	ssize_t xl = flistxattr(fd, NULL, 0);
	close(fd);
	if (xl != 0)
		return 0; /* mkfs copies xattrs (file capabilities) */
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct bulk_file *f = realloc(b->f, cap * sizeof *f);
		if (!f)
			return IMG_ERR(ctx, -ENOMEM, "out of memory listing large files");
		b->f = f;
		b->cap = cap;
	}
	char side_name[32];
	snprintf(side_name, sizeof side_name, "%zu", b->n);
	struct bulk_file *f = &b->f[b->n];
	*f = (struct bulk_file){ .rel = strdup(e->rel), .size = st->st_size };
	if (!f->rel)
		return IMG_ERR(ctx, -ENOMEM, "out of memory listing large files");
	if (renameat(e->dirfd, e->name, b->sidefd, side_name) < 0) {
		int err = errno;
		free(f->rel);
		return IMG_ERR(ctx, -err, "cannot move '%s' aside to '%s': %s", e->rel, b->side,
			       strerror(err));
	}
	if (make_stand_in(e->dirfd, e->name, st) < 0) {
		/* (not root: the owner cannot be set) mkfs writes this one itself */
		free(f->rel);
		if (renameat(b->sidefd, side_name, e->dirfd, e->name) < 0)
			return IMG_ERR(ctx, -errno, "cannot move '%s/%s' back to '%s': %s", b->side,
				       side_name, e->rel, strerror(errno));
		return 0;
	}
	b->n++;
	return 0;
}

struct img_bulk *img_bulk_set_aside(struct lia_ctx *ctx, const char *staging, const char *side, int *err)
{
	struct img_bulk *b = calloc(1, sizeof *b);
	*err = b ? 0 : IMG_ERR(ctx, -ENOMEM, "out of memory");
	if (!b)
		return NULL;
	b->side = side;
	b->sidefd = open(side, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->sidefd < 0)
		*err = IMG_ERR(ctx, -errno, "cannot open the folder '%s': %s", side, strerror(errno));
	else
		*err = img_tree_walk(ctx, staging, set_aside, b);
	return b;
}

size_t img_bulk_count(const struct img_bulk *b)
{
	return b ? b->n : 0;
}

void img_bulk_free(struct img_bulk *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->f[i].rel);
		free(b->f[i].ext);
	}
	free(b->f);
	if (b->sidefd >= 0)
		close(b->sidefd);
	free(b);
}

static uint64_t blocks_of(const struct img_bulk *b, const struct bulk_file *f)
{
	return ((uint64_t)f->size + b->blocksize - 1) / b->blocksize;
}

/* Parse one run's output: after each "debugfs: ex /REL" line, that file's leaf extents.  FIRST: record them; else they must be the recorded
 * ones.  Every file's leaves must cover its blocks in order; WRITTEN: none unwritten. */
static int parse_extents(struct lia_ctx *ctx, struct img_bulk *b, char *out, int first, int written)
{
	size_t k = 0, seen = 0;
	int cur = -1;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned lvl, depth, idx, cnt;
		int used = 0;
		if (strncmp(line, "debugfs: ex /", 13) == 0) {
			/* the second run must list as many leaves as the first, not just the same ones */
			if ((!first && cur >= 0 && seen != b->f[cur].n) || k >= b->n ||
			    strcmp(line + 13, b->f[k].rel) != 0)
				return -EPROTO;
			cur = (int)k++;
			seen = 0;
			continue;
		}
		if (cur < 0 || sscanf(line, " %u/%u %u/%u%n", &lvl, &depth, &idx, &cnt, &used) != 4 ||
		    lvl != depth)
			continue;
		uint64_t num[5];
		int nn = 0;
		for (char *p = line + used; *p && nn < 5;) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p) {
				if (*p != ' ' && *p != '-')
					break;
				p++;
				continue;
			}
			num[nn++] = v;
			p = end;
		}
		struct bulk_extent x;
		if (nn == 5 && num[1] - num[0] + 1 == num[4])
			x = (struct bulk_extent){ num[0], num[2], num[4] };
		else if (nn == 3 && num[2] == 1)
			x = (struct bulk_extent){ num[0], num[1], 1 };
		else
			return -EPROTO;
		if (written && strstr(line, "Uninit"))
			return -EPROTO;
		struct bulk_file *f = &b->f[cur];
		if (first) {
			struct bulk_extent *e = realloc(f->ext, (f->n + 1) * sizeof *e);
			if (!e)
				return IMG_ERR(ctx, -ENOMEM, "out of memory");
			f->ext = e;
			f->ext[f->n++] = x;
		} else if (seen >= f->n || memcmp(&f->ext[seen], &x, sizeof x) != 0) {
			return -EPROTO;
		}
		seen++;
	}
	if (k != b->n || !b->blocksize || (!first && cur >= 0 && seen != b->f[cur].n))
		return -EPROTO;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t next = 0;
		for (size_t j = 0; j < b->f[i].n; j++) {
			if (b->f[i].ext[j].logical != next)
				return -EPROTO;
			next += b->f[i].ext[j].len;
		}
		if (next != blocks_of(b, &b->f[i]))
			return -EPROTO;
	}
	return 0;
}

/* run debugfs -w on IMG with the commands in the side folder's SCRIPT; its output must
 * fit OUT (the head is kept: a full buffer is an error, not a silent cut) */
static int run_debugfs(struct lia_ctx *ctx, struct img_bulk *b, const char *script, const char *img,
		       char *out, size_t outlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", b->side, script);
	const char *argv[] = { "debugfs", "-w", "-f", path, img, NULL };
	int status = 0;
	int r = ctx->host->run(ctx, argv, out, outlen, &status);
	if (r < 0)
		return r;
	if (status != 0)
		return IMG_ERR(ctx, -EIO, "debugfs placing the large files in '%s' failed (exit status %d)",
			       img, status);
	if (strlen(out) + 1 >= outlen)
		return IMG_ERR(
			ctx, -EIO,
			"debugfs placing the large files in '%s' said more than the %zu bytes expected", img,
			outlen);
	return 0;
}

static FILE *open_script(struct lia_ctx *ctx, struct img_bulk *b, const char *name)
{
	int fd = openat(b->sidefd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *s = fd < 0 ? NULL : fdopen(fd, "w");
	if (!s) {
		IMG_ERR(ctx, -errno, "cannot write '%s/%s': %s", b->side, name, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return s;
}

static int close_script(struct lia_ctx *ctx, struct img_bulk *b, FILE *s, const char *name)
{
	if (ferror(s) | (fclose(s) != 0))
		return IMG_ERR(ctx, -EIO, "cannot write '%s/%s'", b->side, name);
	return 0;
}

/* copy LEN bytes at FROM of IN to TO in OUT, in 16 MiB steps, starting each step's
 * writeback at once: the disk writes while the next step is copied, and the final fsync
 * has little left to wait for */
static int copy_piece(int in, int out, off_t from, off_t to, off_t len)
{
	while (len > 0) {
		off_t step = len < (16 << 20) ? len : (16 << 20);
		int r = img_copy_range(in, from, out, to, step);
		if (r < 0)
			return r;
		sync_file_range(out, to, step, SYNC_FILE_RANGE_WRITE);
		from += step;
		to += step;
		len -= step;
	}
	return 0;
}

/* the data of each file into the blocks debugfs gave it */
static int copy_data(struct lia_ctx *ctx, struct img_bulk *b, const char *img, int imgfd)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < b->n; i++) {
		const struct bulk_file *f = &b->f[i];
		char name[32];
		snprintf(name, sizeof name, "%zu", i);
		int in = openat(b->sidefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return IMG_ERR(ctx, -errno, "cannot open '%s/%s' (the image's /%s): %s", b->side,
				       name, f->rel, strerror(errno));
		for (size_t j = 0; r == 0 && j < f->n; j++) {
			off_t from = (off_t)(f->ext[j].logical * b->blocksize);
			off_t len = (off_t)(f->ext[j].len * b->blocksize);
			if (from + len > f->size)
				len = f->size - from;
			r = copy_piece(in, imgfd, from, (off_t)(f->ext[j].physical * b->blocksize), len);
			if (r < 0)
				r = IMG_ERR(ctx, r, "cannot copy '%s/%s' (the image's /%s) into '%s': %s",
					    b->side, name, f->rel, img, strerror(-r));
		}
		close(in);
	}
	return r;
}

/* the block size, from the ext4 superblock (1024 bytes in; IMG is read by its name:
 * the caller's descriptor may be write-only) */
static int read_blocksize(struct lia_ctx *ctx, struct img_bulk *b, const char *img)
{
	unsigned char sb[1024];
	int fd = open(img, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, sb, sizeof sb, 1024);
	int err = n < 0 ? errno : EIO;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof sb)
		return IMG_ERR(ctx, -err, "cannot read the superblock of '%s': %s", img, strerror(err));
	uint32_t log = sb[24] | sb[25] << 8 | sb[26] << 16 | (uint32_t)sb[27] << 24;
	if ((sb[56] | sb[57] << 8) != 0xEF53 || log > 6)
		return IMG_ERR(ctx, -EIO, "'%s' has no ext4 superblock after mkfs.ext4", img);
	b->blocksize = 1024u << log;
	return 0;
}

int img_bulk_write(struct lia_ctx *ctx, struct img_bulk *b, const char *img, int imgfd)
{
	if (!b->n)
		return 0;
	/* the output: a few lines a file, and ~3 lines of ~80 bytes an extent in the second
	 * run.  An extent ends at most every 4 MiB in a fresh image (1 KiB blocks: 8 MiB
	 * groups, some with a backup superblock): room for twice that */
	size_t outlen = 8192;
	for (size_t i = 0; i < b->n; i++)
		outlen += 1024 + 512 * (size_t)(b->f[i].size / (4 << 20) + 1);
	char *out = malloc(outlen);
	if (!out)
		return IMG_ERR(ctx, -ENOMEM, "out of memory");
	int r = read_blocksize(ctx, b, img);
	FILE *s = NULL;
	if (r == 0 && !(s = open_script(ctx, b, "alloc")))
		r = -EIO;
	if (r == 0) {
		/* the stand-ins are empty: all the blocks fallocate gives are past the end */
		for (size_t i = 0; i < b->n; i++)
			fprintf(s, "fallocate /%s 0 %llu\nsif /%s size %lld\nex /%s\n", b->f[i].rel,
				(unsigned long long)(blocks_of(b, &b->f[i]) - 1), b->f[i].rel,
				(long long)b->f[i].size, b->f[i].rel);
		r = close_script(ctx, b, s, "alloc");
	}
	if (r == 0 && (r = run_debugfs(ctx, b, "alloc", img, out, outlen)) == 0 &&
	    parse_extents(ctx, b, out, 1, 0) < 0)
		r = IMG_ERR(ctx, -EIO, "debugfs did not allocate the large files in '%s' as asked", img);
	/* the data first: its writeback runs while debugfs works again */
	if (r == 0)
		r = copy_data(ctx, b, img, imgfd);
	/* fallocate leaves them unwritten (reading as zeros): mark them written */
	if (r == 0 && !(s = open_script(ctx, b, "written")))
		r = -EIO;
	if (r == 0) {
		for (size_t i = 0; i < b->n; i++) {
			const struct bulk_file *f = &b->f[i];
			fprintf(s, "extent_open /%s\n", f->rel);
			for (size_t j = 0; j < f->n; j++)
				fprintf(s, "goto_block %llu\nreplace_node %llu %llu %llu\n",
					(unsigned long long)f->ext[j].logical,
					(unsigned long long)f->ext[j].logical,
					(unsigned long long)f->ext[j].len,
					(unsigned long long)f->ext[j].physical);
			fprintf(s, "extent_close\nex /%s\n", f->rel);
		}
		r = close_script(ctx, b, s, "written");
	}
	if (r == 0 && (r = run_debugfs(ctx, b, "written", img, out, outlen)) == 0 &&
	    parse_extents(ctx, b, out, 0, 1) < 0)
		r = IMG_ERR(ctx, -EIO, "debugfs did not mark the large files' blocks written in '%s'", img);
	free(out);
	return r;
}

int img_bulk_enabled(struct lia_ctx *ctx)
{
	const char *how = getenv("LIA_IMAGE_WRITE");
	if (how && strcmp(how, "mkfs") == 0) {
		ctx->host->note(ctx, "LIA_IMAGE_WRITE=mkfs: mkfs.ext4 -d writes every file");
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char p[PATH_MAX];
		if (n && snprintf(p, sizeof p, "%.*s/debugfs", (int)n, path) < (int)sizeof p &&
		    access(p, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	ctx->host->note(ctx, "no debugfs on PATH: mkfs.ext4 -d writes every file (slower)");
	return 0;
}
