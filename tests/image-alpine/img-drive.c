/* img-drive: a small stand-in host that loads one image plugin module and calls one
 * of its hooks, so the image plugins are tested with real files, mkfs.ext4 and
 * debugfs while (or where) lia-core is not available.  It implements the host
 * services the image plugins use; VM records are state_dir/vms/NAME.json with a
 * "ledger" array, like the core's.  run, download, mkdirs and the other helper services
 * are the core's own (LIA_HOST_HELPERS).
 *
 *   img-drive STATE_DIR MODULE.so HOOK [--vm NAME] [--dry-run] [key=value ...]
 *   img-drive clone SRC DST     the per-VM disk copy alone (img_clone_file), for the benchmark;
 *                               IMG_DRIVE_TIME=FILE appends the call's own microseconds to FILE
 *   img-drive write-image TREE IMG SIZE_MIB   the image write alone (img_write_image: mkfs.ext4
 *                               -d + the large files around it, fsync), for the benchmark;
 *                               the large files of TREE move out of it (to TREE-bulk, removed)
 *     HOOK: image | image:undo | image:plan | create | create:undo | destroy | gc
 *     key=value sets an option; a strings option takes "a,b,c" ("" = empty list)
 * Exit: 0 ok, 1 hook failed, 2 usage. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <lia/plugin.h>
#include "core/svc_helpers.h"
#include "../../plugins/image-common/image-common.h"

extern char **environ;

static const struct lia_plugin *plug;
static const char *state_dir, *vm;
static int dry;
static lia_phase_t cur_phase;
static char **opt_keys, **opt_vals;
static int nopts;
static json_t *rec; /* the VM record */
static char *strv_store[64][64];

static void h_log(struct lia_ctx *c, int level, const char *fmt, ...)
{
	(void)c;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "log%d: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
static int h_error(struct lia_ctx *c, int code, const char *fmt, ...)
{
	(void)c;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "error: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code < 0 ? code : -EIO;
}
static void h_note(struct lia_ctx *c, const char *fmt, ...)
{
	(void)c;
	va_list ap;
	va_start(ap, fmt);
	printf("note: ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}
/* IMG_DRIVE_PROGRESS=1: each report as "progress: WHAT DONE TOTAL" on stderr (tests) */
static void h_progress(struct lia_ctx *c, const char *w, uint64_t d, uint64_t t)
{
	(void)c;
	if (getenv("IMG_DRIVE_PROGRESS"))
		fprintf(stderr, "progress: %s %llu %llu\n", w, (unsigned long long)d, (unsigned long long)t);
}
static const char *h_pipeline(struct lia_ctx *c)
{
	(void)c;
	return vm ? "vm" : "setup";
}
static lia_phase_t h_phase(struct lia_ctx *c)
{
	(void)c;
	return cur_phase;
}
static int h_dry(struct lia_ctx *c)
{
	(void)c;
	return dry;
}
static int h_quiet(struct lia_ctx *c)
{
	(void)c;
	return 0;
}
static const char *h_state_dir(struct lia_ctx *c)
{
	(void)c;
	return state_dir;
}
static int h_path(struct lia_ctx *c, char *buf, size_t len, const char *fmt, ...)
{
	(void)c;
	char rel[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	return snprintf(buf, len, "%s/%s", state_dir, rel) >= (int)len ? -ENAMETOOLONG : 0;
}
static const char *h_global(struct lia_ctx *c, const char *k)
{
	(void)c;
	return strcmp(k, "state_dir") == 0 ? state_dir : NULL;
}
static const struct lia_option *find_opt(const char *key)
{
	for (const struct lia_option *o = plug->options; o && o->name; o++)
		if (strcmp(o->name, key) == 0)
			return o;
	fprintf(stderr, "img-drive: the plugin asked for the unknown option '%s'\n", key);
	exit(3);
}
static const char *raw(const char *key, int *set)
{
	const struct lia_option *o = find_opt(key);
	for (int i = nopts - 1; i >= 0; i--)
		if (strcmp(opt_keys[i], key) == 0) {
			*set = 1;
			return opt_vals[i];
		}
	*set = 0;
	return o->default_value;
}
static const char *h_cfg_str(struct lia_ctx *c, const char *k)
{
	(void)c;
	int s;
	return raw(k, &s);
}
static int64_t h_cfg_int(struct lia_ctx *c, const char *k)
{
	(void)c;
	int s;
	const char *v = raw(k, &s);
	return v ? strtoll(v, NULL, 10) : 0;
}
static int h_cfg_bool(struct lia_ctx *c, const char *k)
{
	(void)c;
	int s;
	const char *v = raw(k, &s);
	return v && strcmp(v, "true") == 0;
}
static size_t h_cfg_strings(struct lia_ctx *c, const char *k, const char *const **items)
{
	(void)c;
	int s;
	const char *v = raw(k, &s);
	static int slot;
	char **out = strv_store[slot++ % 64];
	size_t n = 0;
	if (v && *v) {
		char *copy = strdup(v), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t && n < 63; t = strtok_r(NULL, ",", &save))
			out[n++] = t;
	}
	out[n] = NULL;
	*items = (const char *const *)out;
	return n;
}
static int h_cfg_is_set(struct lia_ctx *c, const char *k)
{
	(void)c;
	int s;
	raw(k, &s);
	return s;
}

static char *rec_path(const char *name)
{
	static char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/vms/%s.json", state_dir, name);
	return p;
}
static void rec_save(void)
{
	char d[PATH_MAX];
	snprintf(d, sizeof d, "%s/vms", state_dir);
	mkdir(d, 0700);
	if (json_dump_file(rec, rec_path(vm), JSON_INDENT(1) | JSON_SORT_KEYS) < 0) {
		fprintf(stderr, "img-drive: cannot save %s\n", rec_path(vm));
		exit(3);
	}
}
static const char *h_vm_name(struct lia_ctx *c)
{
	(void)c;
	return vm;
}
static const char *h_vm_get(struct lia_ctx *c, const char *k)
{
	(void)c;
	json_t *v = rec ? json_object_get(rec, k) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}
static int64_t h_vm_get_int(struct lia_ctx *c, const char *k, int64_t d)
{
	(void)c;
	json_t *v = rec ? json_object_get(rec, k) : NULL;
	/* the core writes volume_mib into every record (lia.volume_mib, 1024 by default) */
	if (!v && strcmp(k, "volume_mib") == 0)
		return 1024;
	return json_is_integer(v) ? json_integer_value(v) : d;
}
static int h_vm_set(struct lia_ctx *c, const char *k, const char *v)
{
	(void)c;
	if (!rec)
		return -ENOENT;
	if (v)
		json_object_set_new(rec, k, json_string(v));
	else
		json_object_del(rec, k);
	rec_save();
	return 0;
}
static int h_vm_set_int(struct lia_ctx *c, const char *k, int64_t v)
{
	(void)c;
	json_object_set_new(rec, k, json_integer(v));
	rec_save();
	return 0;
}
static int ledger_find(json_t *r, const char *kind, const char *id)
{
	json_t *l = json_object_get(r, "ledger");
	for (size_t i = 0; i < json_array_size(l); i++) {
		json_t *e = json_array_get(l, i);
		if (strcmp(json_string_value(json_array_get(e, 0)), kind) == 0 &&
		    strcmp(json_string_value(json_array_get(e, 1)), id) == 0)
			return (int)i;
	}
	return -1;
}
static int h_ledger_add(struct lia_ctx *c, const char *kind, const char *id)
{
	(void)c;
	if (ledger_find(rec, kind, id) < 0)
		json_array_append_new(json_object_get(rec, "ledger"), json_pack("[ss]", kind, id));
	rec_save(); /* before the object is made, like the core */
	return 0;
}
static int h_ledger_del(struct lia_ctx *c, const char *kind, const char *id)
{
	(void)c;
	int i = ledger_find(rec, kind, id);
	if (i < 0)
		return -ENOENT;
	json_array_remove(json_object_get(rec, "ledger"), (size_t)i);
	rec_save();
	return 0;
}
static int h_ledger_owned(struct lia_ctx *c, const char *kind, const char *id)
{
	(void)c;
	char d[PATH_MAX];
	snprintf(d, sizeof d, "%s/vms", state_dir);
	DIR *dir = opendir(d);
	int owned = 0;
	struct dirent *de;
	while (dir && !owned && (de = readdir(dir))) {
		if (!strstr(de->d_name, ".json"))
			continue;
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", d, de->d_name);
		json_t *r = json_load_file(p, 0, NULL);
		owned = r && ledger_find(r, kind, id) >= 0;
		json_decref(r);
	}
	if (dir)
		closedir(dir);
	return owned;
}
static const char *h_memo_get(struct lia_ctx *c, const char *k)
{
	(void)c, (void)k;
	return NULL;
}
static int h_memo_set(struct lia_ctx *c, const char *k, const char *v)
{
	(void)c, (void)k, (void)v;
	return 0;
}
static int h_lease_take(struct lia_ctx *c, const char *k, uint64_t lo, uint64_t hi, uint64_t *o)
{
	(void)c, (void)k, (void)hi;
	*o = lo;
	return 0;
}
static int h_lease_get(struct lia_ctx *c, const char *k, uint64_t *o)
{
	(void)c, (void)k, (void)o;
	return -ENOENT;
}
static int h_lease_release(struct lia_ctx *c, const char *k)
{
	(void)c, (void)k;
	return 0;
}

static const struct lia_host host = {
	.size = sizeof(struct lia_host),
	.abi_major = LIA_ABI_MAJOR,
	.abi_minor = LIA_ABI_MINOR,
	.log = h_log,
	.error = h_error,
	.note = h_note,
	.progress = h_progress,
	.pipeline = h_pipeline,
	.phase = h_phase,
	.dry_run = h_dry,
	.quiet = h_quiet,
	.state_dir = h_state_dir,
	.path = h_path,
	.global = h_global,
	.cfg_str = h_cfg_str,
	.cfg_int = h_cfg_int,
	.cfg_bool = h_cfg_bool,
	.cfg_strings = h_cfg_strings,
	.cfg_is_set = h_cfg_is_set,
	.vm_name = h_vm_name,
	.vm_get = h_vm_get,
	.vm_get_int = h_vm_get_int,
	.vm_set = h_vm_set,
	.vm_set_int = h_vm_set_int,
	.ledger_add = h_ledger_add,
	.ledger_del = h_ledger_del,
	.ledger_owned = h_ledger_owned,
	.lease_take = h_lease_take,
	.lease_get = h_lease_get,
	.lease_release = h_lease_release,
	.memo_get = h_memo_get,
	.memo_set = h_memo_set,
	LIA_HOST_HELPERS, /* run, download, mkdirs, sha256_file, ...: the core's own */
};

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "clone") == 0) {
		struct lia_ctx c = { .host = &host };
		int reflinked = 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (img_clone_file(&c, argv[2], argv[3], &reflinked) < 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("%s\n", reflinked ? "reflink" : "sparse copy");
		/* the clone call alone (open, FICLONE or the copy, fsync, close), for the benchmark */
		const char *tf = getenv("IMG_DRIVE_TIME");
		FILE *f = tf && *tf ? fopen(tf, "a") : NULL;
		if (f) {
			fprintf(f, "%lld\n",
				(long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
					(t1.tv_nsec - t0.tv_nsec) / 1000);
			fclose(f);
		}
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "write-image") == 0) {
		struct lia_ctx c = { .host = &host };
		int fd = open(argv[3], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "img-drive: cannot create '%s': %s\n", argv[3], strerror(errno));
			return 1;
		}
		int r = img_write_image(&c, argv[2], argv[3], fd, strtoll(argv[4], NULL, 10));
		close(fd);
		if (r < 0)
			unlink(argv[3]);
		return r < 0;
	}
	if (argc < 4) {
		fprintf(stderr,
			"usage: img-drive STATE_DIR MODULE.so HOOK [--vm NAME] [--dry-run] [key=value...]\n");
		return 2;
	}
	state_dir = argv[1];
	char mk[PATH_MAX];
	snprintf(mk, sizeof mk, "%s/", state_dir);
	for (char *p = mk + 1; *p; p++) { /* mkdir -p */
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(mk, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "img-drive: cannot make %s: %s\n", mk, strerror(errno));
			return 2;
		}
		*p = '/';
	}
	void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "img-drive: %s\n", dlerror());
		return 2;
	}
	/* the module exports STEM_LTX_lia_plugin only */
	char stem[128], sym[160];
	const char *base = strrchr(argv[2], '/');
	snprintf(stem, sizeof stem, "%s", base ? base + 1 : argv[2]);
	char *dot = strchr(stem, '.');
	if (dot)
		*dot = '\0';
	for (char *p = stem; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	snprintf(sym, sizeof sym, "%s_LTX_lia_plugin", stem);
	plug = dlsym(h, sym);
	if (!plug || plug->magic != LIA_PLUGIN_MAGIC) {
		fprintf(stderr, "img-drive: no %s in %s\n", sym, argv[2]);
		return 2;
	}
	char hookname[64];
	snprintf(hookname, sizeof hookname, "%s", argv[3]);
	char *mode = strchr(hookname, ':');
	if (mode)
		*mode++ = '\0';
	static const struct {
		const char *n;
		lia_phase_t p;
	} phases[] = { { "image", LIA_PHASE_IMAGE },
		       { "create", LIA_PHASE_CREATE },
		       { "destroy", LIA_PHASE_DESTROY },
		       { "gc", LIA_PHASE_GC } };
	for (size_t i = 0; i < 4; i++)
		if (strcmp(hookname, phases[i].n) == 0)
			cur_phase = phases[i].p;
	opt_keys = calloc((size_t)argc, sizeof *opt_keys);
	opt_vals = calloc((size_t)argc, sizeof *opt_vals);
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--vm") == 0 && i + 1 < argc) {
			vm = argv[++i];
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry = 1;
		} else if (strchr(argv[i], '=')) {
			char *eq = strchr(argv[i], '=');
			*eq = '\0';
			find_opt(argv[i]);
			opt_keys[nopts] = argv[i];
			opt_vals[nopts++] = eq + 1;
		} else {
			fprintf(stderr, "img-drive: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (vm) {
		rec = json_load_file(rec_path(vm), 0, NULL);
		if (!rec) {
			rec = json_pack("{ss ss s[]}", "name", vm, "state", "created", "ledger");
			rec_save();
		}
	}
	const struct lia_hook *hk = NULL;
	for (const struct lia_hook *x = plug->hooks; x && x->phase; x++)
		if (x->phase == cur_phase)
			hk = x;
	if (!hk) {
		fprintf(stderr, "img-drive: the plugin has no hook '%s'\n", hookname);
		return 2;
	}
	lia_hook_fn fn = !mode ? hk->run : strcmp(mode, "undo") == 0 ? hk->undo : hk->plan;
	if (!fn) {
		fprintf(stderr, "img-drive: hook '%s' has no '%s'\n", hookname, mode);
		return 2;
	}
	struct lia_ctx ctx = { .host = &host };
	void *st = NULL;
	if (plug->open && plug->open(&ctx, &st) < 0)
		return 1;
	int r = fn(&ctx, st);
	if (plug->close)
		plug->close(st);
	if (rec)
		rec_save();
	return r < 0 ? 1 : 0;
}
