/* lia/plugin.h - the lia plugin ABI.  Installed for out-of-tree plugins.
 *
 * A plugin is a shared object that exports ONE symbol: a const struct lia_plugin,
 * defined with LIA_PLUGIN_DEFINE(stem) where stem is the file name with every
 * character that is not [A-Za-z0-9] turned into '_' ("net-bridge" -> net_bridge).
 * The plugin reaches the core only through the struct lia_host handed to every
 * callback: it links no lia-core symbol, so build it with -no-undefined.
 *
 * ABI changelog (fields are only ever appended; phase numbers are never reused):
 *   1.0  initial: descriptor, options, hooks, vm commands, host services.
 */
#ifndef LIA_PLUGIN_H
#define LIA_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIA_PLUGIN_MAGIC 0x4c494150u /* "LIAP" */
#define LIA_ABI_MAJOR 1
#define LIA_ABI_MINOR 0

/* Phases.  Names (lia_phase_name) are what configuration files and logs use. */
enum lia_phase {
	LIA_PHASE_NONE = 0,
	/* pipeline "setup" runs these in this order; "teardown" runs their undo in reverse */
	LIA_PHASE_PREFLIGHT = 1,
	LIA_PHASE_DIRS = 2,
	LIA_PHASE_INSTALL = 3,
	LIA_PHASE_KERNEL = 4,
	LIA_PHASE_IMAGE = 5,
	LIA_PHASE_NETWORK = 6,
	LIA_PHASE_SERVICES = 7,
	LIA_PHASE_VERIFY = 8,
	/* VM pipelines: create | start = net-up, boot, started | stop = stop, net-down | destroy.
	 * stop, net-down and destroy run their plugins in reverse order. */
	LIA_PHASE_CREATE = 16,
	LIA_PHASE_NET_UP = 17,
	LIA_PHASE_BOOT = 18,
	LIA_PHASE_STARTED = 19,
	LIA_PHASE_STOP = 20,
	LIA_PHASE_NET_DOWN = 21,
	LIA_PHASE_DESTROY = 22,
	/* `lia-core gc`: remove host objects that no VM record's ledger owns */
	LIA_PHASE_GC = 32,
};

/* Return values of hooks. */
#define LIA_OK 0
#define LIA_HOOK_SKIP 1 /* "not mine": nothing done, nothing to undo */
/* anything < 0 is a failure: return host->error(ctx, -errno_like, "...") */

/* Log levels. */
enum lia_log_level { LIA_LOG_ERROR = 0, LIA_LOG_WARN = 1, LIA_LOG_INFO = 2, LIA_LOG_DEBUG = 3 };

/* ---- settings a plugin accepts (its block in lia.conf / conf.d) ---------------- */
enum lia_opt_type {
	LIA_OPT_STRING = 1,
	LIA_OPT_INT = 2,  /* 64-bit */
	LIA_OPT_BOOL = 3,
	LIA_OPT_STRINGS = 4, /* array of strings: [ "a", "b" ] */
};

struct lia_option {
	const char *name;
	enum lia_opt_type type;
	/* default as text: "lia-br0", "2048", "true"; for LIA_OPT_STRINGS a comma-separated
	 * list ("a,b,c"; "" is the empty list).  NULL: no default (cfg_str returns NULL). */
	const char *default_value;
	int required; /* 1: the block must set it */
	const char *help; /* one line, shown by `lia-core plugins -v` */
};

/* One per hook call, owned by the core.  Plugins read only `host`; the core's
 * private part follows it in memory.  Call services as ctx->host->error(ctx, ...). */
struct lia_host;
struct lia_ctx {
	const struct lia_host *host;
};

/* ---- hooks ----------------------------------------------------------------------- */
typedef int (*lia_hook_fn)(struct lia_ctx *ctx, void *state);

struct lia_hook {
	enum lia_phase phase;
	int priority; /* lower runs first; 0 means the default, 500.  Config can override. */
	lia_hook_fn run;
	/* Undo what run() did.  Called on rollback (a later step of the same run failed)
	 * and by "teardown" for setup phases.  Must work from persisted state (memo, VM
	 * record), not from memory of run(), and must succeed when there is nothing to undo. */
	lia_hook_fn undo;
	/* Dry run: inspect, report each change it WOULD make with host->note(), change
	 * nothing.  NULL: the core prints `summary` instead. */
	lia_hook_fn plan;
	const char *summary; /* "create bridge, address, forwarding and NAT table" */
};

/* A sub-command of `lia-core vm`: `lia-core vm NAME_OF_CMD VM ARGS...`
 * (e.g. "connect").  Runs with the VM's record loaded; returns an exit code. */
struct lia_command {
	const char *name;
	const char *usage; /* "connect NAME PORT" */
	int (*run)(struct lia_ctx *ctx, void *state, int argc, char **argv);
};

/* ---- downloads (host->download) --------------------------------------------------- */
struct lia_download {
	uint32_t size; /* sizeof(struct lia_download) */
	const char *url; /* http://, https:// or file:// ; the global `mirror` may rewrite it */
	const char *dest; /* final path; written as dest.part then renamed */
	const char *sha256; /* expected lowercase hex, or NULL (then got_sha256 tells) */
	int64_t expect_size; /* -1: unknown */
	mode_t mode; /* of dest */
	/* out */
	char got_sha256[65];
	int fetched; /* 1: a transfer happened; 0: dest already matched, no request made */
};

/* ---- the services the core hands to plugins ----------------------------------------- */
struct lia_host {
	uint32_t size; /* sizeof(struct lia_host) of the running core */
	uint16_t abi_major, abi_minor;

	/* logging; the core prefixes "plugin/phase:" */
	void (*log)(struct lia_ctx *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* Record the failure message (a whole sentence naming the object) and return code,
	 * which must be < 0 (a negative errno is best).  `return host->error(ctx, -ENOENT, ...)` */
	int (*error)(struct lia_ctx *ctx, int code, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* One line of the dry-run plan, or of the change report of a real run:
	 * "create bridge lia-br0".  Printed under the plugin/phase heading. */
	void (*note)(struct lia_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* Long work: bytes or items done of total (total 0: unknown).  The core draws a bar
	 * on a terminal, prints periodic lines otherwise, nothing with -q. */
	void (*progress)(struct lia_ctx *ctx, const char *what, uint64_t done, uint64_t total);

	/* where we are */
	const char *(*pipeline)(struct lia_ctx *ctx); /* "setup", "teardown", "vm", "gc" */
	enum lia_phase (*phase)(struct lia_ctx *ctx);
	int (*dry_run)(struct lia_ctx *ctx);
	int (*quiet)(struct lia_ctx *ctx);
	const char *(*state_dir)(struct lia_ctx *ctx); /* e.g. /var/lib/lia */
	/* snprintf state_dir + "/" + fmt into buf; returns 0 or -ENAMETOOLONG */
	int (*path)(struct lia_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));
	/* a global setting of the `lia` block (state_dir, plugin_dir, mirror, ...) or NULL */
	const char *(*global)(struct lia_ctx *ctx, const char *key);

	/* this plugin's settings, already validated against its options[] */
	const char *(*cfg_str)(struct lia_ctx *ctx, const char *key);
	int64_t (*cfg_int)(struct lia_ctx *ctx, const char *key);
	int (*cfg_bool)(struct lia_ctx *ctx, const char *key);
	/* returns the count; *items points to a NULL-terminated array owned by the core */
	size_t (*cfg_strings)(struct lia_ctx *ctx, const char *key, const char *const **items);
	int (*cfg_is_set)(struct lia_ctx *ctx, const char *key); /* 1: set in a file, 0: default */

	/* The VM record (VM pipelines, vm commands and gc with a VM; NULL/-ENOENT otherwise).
	 * Keys are plugin-chosen dotted names ("net.ip", "vsock.cid"); the core's own keys are
	 * name, state, vcpus, mem_mib, volume_mib, ssh_key.  Values set are saved after the
	 * hook returns (and before any later ledger_add). */
	const char *(*vm_name)(struct lia_ctx *ctx);
	const char *(*vm_get)(struct lia_ctx *ctx, const char *key); /* NULL: unset */
	int64_t (*vm_get_int)(struct lia_ctx *ctx, const char *key, int64_t dflt);
	int (*vm_set)(struct lia_ctx *ctx, const char *key, const char *value); /* NULL unsets */
	int (*vm_set_int)(struct lia_ctx *ctx, const char *key, int64_t value);

	/* The ledger: the host objects this VM owns.  Add the entry BEFORE creating the
	 * object (the record is written and fsynced before ledger_add returns), delete it
	 * AFTER removing the object.  kind: "tap", "socket", "disk", "pid", "file"...
	 * A "pid" entry's id is "PID:STARTTIME" (field 22 of /proc/PID/stat): the core uses
	 * it to tell whether the VM's process is still alive. */
	int (*ledger_add)(struct lia_ctx *ctx, const char *kind, const char *id);
	int (*ledger_del)(struct lia_ctx *ctx, const char *kind, const char *id);
	/* 1 when any VM record's ledger holds (kind, id); for gc */
	int (*ledger_owned)(struct lia_ctx *ctx, const char *kind, const char *id);

	/* Leases: the lowest free integer in [lo, hi] of `kind` ("ip4", "cid") across all VM
	 * records, taken under the state lock and written to this VM's record before return.
	 * Returns 0 or -ENOSPC when the pool is exhausted (error recorded).  A VM that already
	 * holds a lease of this kind gets the same one back (idempotent).  The lease shows in
	 * the ledger as kind "lease:KIND", id the decimal value. */
	int (*lease_take)(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi,
			  uint64_t *out);
	int (*lease_get)(struct lia_ctx *ctx, const char *kind, uint64_t *out); /* -ENOENT */
	int (*lease_release)(struct lia_ctx *ctx, const char *kind);

	/* Host-level memory of this plugin across runs (state_dir/host/PLUGIN.json), e.g.
	 * the ip_forward value before setup changed it, for teardown to restore. */
	const char *(*memo_get)(struct lia_ctx *ctx, const char *key);
	int (*memo_set)(struct lia_ctx *ctx, const char *key, const char *value); /* NULL unsets */

	/* Run a program by argv (no shell), wait for it.  Output (stdout+stderr) goes to
	 * out (NUL-terminated, truncated to outlen; out may be NULL to discard). Returns 0 and
	 * sets *status to the exit code (128+signal when killed), or a negative errno when it
	 * could not be started (the error is recorded). */
	int (*run)(struct lia_ctx *ctx, const char *const argv[], char *out, size_t outlen,
		   int *status);

	/* Verified download: see struct lia_download.  0 or a recorded negative error. */
	int (*download)(struct lia_ctx *ctx, struct lia_download *req);

	void *reserved[16];
};

/* ---- the descriptor -------------------------------------------------------------- */
struct lia_plugin {
	uint32_t magic; /* LIA_PLUGIN_MAGIC */
	uint16_t abi_major, abi_minor; /* LIA_ABI_MAJOR, LIA_ABI_MINOR at build time */
	uint32_t size; /* sizeof(struct lia_plugin) at build time */
	const char *name; /* must equal the file stem: "net-bridge" */
	const char *version;
	/* Role: two enabled plugins with the same role are refused ("bridge", "tap",
	 * "image", "kernel", "vmm", "vsock").  NULL: no role. */
	const char *provides;
	const char *description;
	const struct lia_option *options; /* {NULL}-terminated, may be NULL */
	const struct lia_hook *hooks; /* {0}-terminated (phase 0), may be NULL */
	/* What preflight must find: "/dev/net/tun" (a path that must exist),
	 * "prog:mkfs.ext4" (a program on PATH).  NULL-terminated, may be NULL. */
	const char *const *needs;
	/* Called once after configuration is validated, before any hook; may be NULL.
	 * Returns 0 or host->error(...). *state is handed to every hook. */
	int (*open)(struct lia_ctx *ctx, void **state);
	void (*close)(void *state); /* may be NULL; must accept a half-opened state */
	const struct lia_command *vm_commands; /* {NULL}-terminated, may be NULL */
	void *reserved[8];
};

#define LIA_PLUGIN_CAT_(a, b) a##b
/* (stem may itself be a macro: it is expanded before the names are pasted) */
#define LIA_PLUGIN_DEFINE(stem) \
	extern const struct lia_plugin LIA_PLUGIN_CAT_(stem, _LTX_lia_plugin); \
	const struct lia_plugin LIA_PLUGIN_CAT_(stem, _LTX_lia_plugin)

/* Fill the header fields: LIA_PLUGIN_DEFINE(net_bridge) = { LIA_PLUGIN_HEADER, .name = ... }; */
#define LIA_PLUGIN_HEADER \
	.magic = LIA_PLUGIN_MAGIC, .abi_major = LIA_ABI_MAJOR, .abi_minor = LIA_ABI_MINOR, \
	.size = sizeof(struct lia_plugin)

#ifdef __cplusplus
}
#endif
#endif
