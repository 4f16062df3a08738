/* lia/plugin.h - the lia plugin ABI.  Installed for out-of-tree plugins.
 *
 * A plugin is a shared object that exports ONE symbol: a const struct lia_plugin,
 * defined with LIA_PLUGIN_DEFINE(stem) where stem is the file name with every
 * character that is not [A-Za-z0-9] turned into '_' ("net-bridge" -> net_bridge).
 * The plugin reaches the core only through the struct lia_host handed to every
 * callback (always spelled ctx->host): it links no lia-core symbol, so build it with
 * -no-undefined.  Check a build with `lia-core plugins --check FILE.so`.
 *
 * How the ABI grows (the rules every 2.x core and plugin keep):
 *  - Every struct the core and a plugin exchange starts with, or is described by, its size
 *    as the side that built it saw it: the descriptor (`size`), its tables (`option_size`,
 *    `hook_size`, `command_size`, `fact_size`), struct lia_download (`size`) and struct
 *    lia_host (`size`).  Fields are only ever appended.  A reader uses only the fields that
 *    lie inside the size the writer declared; a field past it reads as zero/NULL.  So a
 *    newer core loads an older plugin and an older core loads a newer plugin of the same
 *    major, as long as the newer side does not depend on a field the older one lacks.
 *  - A plugin that calls a host service added in minor N checks `LIA_HOST_HAS(ctx, name)`
 *    first (or requires minor N: the core refuses plugins with a newer minor than its own).
 *  - No enum and no `int` of unstated width inside ABI structs: fixed-width types only.
 *  - Phase numbers, option types, string kinds and log levels are never reused.
 *
 * Conventions (all callbacks and services):
 *  - Threads: the core calls every callback on one thread, one at a time.  A plugin may
 *    start threads of its own, but must not call host services from them.
 *  - Errors: hooks, open() and check() return 0 (or LIA_HOOK_SKIP) on success and a
 *    negative errno on failure, made by `return ctx->host->error(ctx, -EIO, "...")` so
 *    the message is recorded.  vm commands return an exit code (0, 1 failure, 2 usage).
 *    Services return 0 / a value, or a negative errno; a service that fails records its
 *    own message (a hook can return its result as is).
 *  - Messages: one sentence that names the object (file, device, URL, VM), lower-case
 *    first word unless it is a name, no trailing period, no "error:" prefix (the core adds
 *    "lia-core: PIPELINE/PHASE: PLUGIN:").  "cannot open /dev/net/tun: No such device".
 *  - Pointers: strings and arrays a service returns are owned by the core.  Unless stated
 *    otherwise they stay valid until the hook returns (values of the VM record and the
 *    memo: until the next call that changes that key); settings (cfg_*), facts and
 *    globals stay valid for the life of the plugin (until close()).  Copy to keep longer.
 *    Pointers a plugin hands to the core (descriptor, tables, strings in them) must stay
 *    valid while the plugin is loaded.
 *
 * ABI changelog (fields are only ever appended; numbers are never reused):
 *   1.0  initial: descriptor, options, hooks, vm commands, host services.
 *   2.0  tables carry their element size; fixed-width integers instead of enums; settings
 *        declare constraints (integer ranges, string kinds ipv4/cidr/url/sha256/abspath/
 *        choice/ifname, non-empty) and a plugin may add a check() across settings with
 *        cfg_error(); facts (one plugin's settings published to the others); force and the
 *        VM size as named services and <lia/record.h> keys; helper services mkdirs,
 *        sha256_file, proc_start_time, pid_alive; lease_peek.
 *   2.1  struct lia_plugin: prepare() and flush(), in what were reserved[0] and [1] (so
 *        that no hook table written with positional initializers gains a missing field).
 *        prepare() records the ledger entries a VM pipeline's hooks will need before any
 *        hook runs, so the core saves them all at once; flush() finishes work the hooks
 *        deferred, once after a batch of VM pipelines and before close().  ledger_del no
 *        longer saves the record at once: the next save of the record carries it (a stale
 *        entry for a removed object is harmless).  ledger_owned answers for the calling VM
 *        from its record in memory.
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
#define LIA_ABI_MAJOR 2
#define LIA_ABI_MINOR 1

/* ---- phases -------------------------------------------------------------------------
 * Names (as in configuration files and logs) in brackets.  The pipelines and the order of
 * their phases are the core's table, printed by `lia-core plugins -v` and docs/lia-core.1. */
typedef uint32_t lia_phase_t;
#define LIA_PHASE_NONE 0u
/* pipeline "setup" runs these in order; "teardown" runs their undo in reverse */
#define LIA_PHASE_PREFLIGHT 1u /* [preflight] check the host, change nothing */
#define LIA_PHASE_DIRS 2u      /* [dirs] */
#define LIA_PHASE_INSTALL 3u   /* [install] */
#define LIA_PHASE_KERNEL 4u    /* [kernel] */
#define LIA_PHASE_IMAGE 5u     /* [image] */
#define LIA_PHASE_NETWORK 6u   /* [network] */
#define LIA_PHASE_SERVICES 7u  /* [services] */
#define LIA_PHASE_VERIFY 8u    /* [verify] */
/* VM pipelines: create = [create] | start = [net-up] [boot] [started] |
 * stop = [stop] [net-down] | destroy = [destroy].  stop, net-down and destroy run their
 * plugins in reverse order. */
#define LIA_PHASE_CREATE 16u
#define LIA_PHASE_NET_UP 17u
#define LIA_PHASE_BOOT 18u
#define LIA_PHASE_STARTED 19u
#define LIA_PHASE_STOP 20u
#define LIA_PHASE_NET_DOWN 21u
#define LIA_PHASE_DESTROY 22u
/* `lia-core gc`: remove host objects that no VM record's ledger owns */
#define LIA_PHASE_GC 32u

/* Return values of hooks. */
#define LIA_OK 0
#define LIA_HOOK_SKIP 1 /* "not mine": nothing done, nothing to undo */
/* anything < 0 is a failure: return ctx->host->error(ctx, -errno_like, "...") */

/* Log levels. */
#define LIA_LOG_ERROR 0
#define LIA_LOG_WARN 1
#define LIA_LOG_INFO 2
#define LIA_LOG_DEBUG 3

/* ---- settings a plugin accepts (its block in lia.conf / conf.d) ---------------------- */
#define LIA_OPT_STRING 1u
#define LIA_OPT_INT 2u /* 64-bit */
#define LIA_OPT_BOOL 3u
#define LIA_OPT_STRINGS 4u /* array of strings: [ "a", "b" ]; `kind` applies to each */

/* What a string must look like (LIA_OPT_STRING / LIA_OPT_STRINGS).  The core checks set
 * values and defaults; an empty string is accepted only with LIA_OPT_EMPTY_OK. */
#define LIA_KIND_ANY 0u  /* any text without NUL bytes */
#define LIA_KIND_IPV4 1u /* dotted quad: 172.16.0.1 */
#define LIA_KIND_CIDR 2u /* IPv4 address and prefix 0-32: 172.16.0.1/24 */
#define LIA_KIND_URL \
	3u                  /* scheme://...; schemes allowed: `choices` ("http|https|file"),
			     * default http, https, file */
#define LIA_KIND_SHA256 4u  /* 64 hexadecimal digits */
#define LIA_KIND_ABSPATH 5u /* an absolute path */
#define LIA_KIND_CHOICE 6u  /* one of `choices`: "auto|kvm|tcg" */
#define LIA_KIND_IFNAME 7u  /* a network interface name: 1-15 bytes, no '/', ':' or space */

/* option flags */
#define LIA_OPT_REQUIRED 0x1u /* the block must set it */
#define LIA_OPT_EMPTY_OK 0x2u /* "" passes the kind check (means "none"/"auto") */
#define LIA_OPT_RANGE 0x4u    /* LIA_OPT_INT: min <= value <= max */

struct lia_option {
	const char *name;
	uint32_t type; /* LIA_OPT_* */
	uint32_t kind; /* LIA_KIND_* */
	/* default as text: "lia-br0", "2048", "true"; for LIA_OPT_STRINGS a comma-separated
	 * list ("a,b,c"; "" is the empty list).  NULL: no default (cfg_str returns NULL). */
	const char *default_value;
	uint32_t flags; /* LIA_OPT_REQUIRED | LIA_OPT_EMPTY_OK | LIA_OPT_RANGE */
	uint32_t reserved0;
	int64_t min, max;    /* with LIA_OPT_RANGE */
	const char *choices; /* "a|b|c" for LIA_KIND_CHOICE and LIA_KIND_URL */
	const char *help;    /* one line, shown by `lia-core plugins -v` */
};
/* .flags = LIA_OPT_RANGE, .min = lo, .max = hi */
#define LIA_RANGE(lo, hi) .flags = LIA_OPT_RANGE, .min = (lo), .max = (hi)

/* One per call, owned by the core.  Plugins read only `host`; the core's private part
 * follows it in memory.  Call services as ctx->host->error(ctx, ...). */
struct lia_host;
struct lia_ctx {
	const struct lia_host *host;
};

/* ---- hooks ------------------------------------------------------------------------- */
typedef int (*lia_hook_fn)(struct lia_ctx *ctx, void *state);

struct lia_hook {
	lia_phase_t phase;
	int32_t priority; /* lower runs first; 0 means the default, 500.  Config can override. */
	lia_hook_fn run;
	/* Undo what run() did.  Called on rollback (a later step of the same run failed), by
	 * "teardown" for setup phases, and by gc for VMs left half done (see the plugin
	 * guide's table).  Must work from persisted state (memo, VM record), not from memory
	 * of run(), and must succeed when there is nothing to undo. */
	lia_hook_fn undo;
	/* Dry run: inspect, report each change it WOULD make with host->note(), change
	 * nothing.  In a dry run (setup, vm create/start/stop/destroy, gc) the core calls
	 * plan() and never run() or undo(), so a dry_run() branch inside run() never runs.
	 * NULL: the core prints `summary` instead. */
	lia_hook_fn plan;
	const char *summary; /* "create bridge, address, forwarding and NAT table" */
};

/* A sub-command of `lia-core vm`: `lia-core vm NAME_OF_CMD VM ARGS...` (e.g. "connect").
 * Runs with the VM's record loaded (not locked); returns an exit code. */
struct lia_command {
	const char *name;
	const char *usage; /* "connect NAME PORT" */
	int (*run)(struct lia_ctx *ctx, void *state, int argc, char **argv);
};

/* A fact: one of this plugin's settings published under a well-known name, so that other
 * plugins read it instead of repeating the setting.  Facts of the shipped roles:
 *   bridge.name   (role bridge) the bridge VMs' TAPs join: "lia-br0"
 *   bridge.cidr   (role bridge) its address and prefix: "172.16.0.1/24"
 *   lease.KIND.first, lease.KIND.last   (any plugin that takes leases of KIND with
 *                 lease_take) the bounds of its pool, a whole number or a dotted IPv4
 *                 address ("172.16.0.100"); the core reports the free leases of each KIND
 *                 from them (GET /v1/host, /metrics).  net-tap: lease.ip4.*; vsock:
 *                 lease.cid.* */
struct lia_fact {
	const char *name;    /* "bridge.cidr" */
	const char *setting; /* the option whose value it is: "address" */
};

/* ---- downloads (host->download) ---------------------------------------------------- */
struct lia_download {
	uint32_t size;       /* sizeof(struct lia_download) as the plugin was built */
	uint32_t mode;       /* of dest, e.g. 0644 */
	const char *url;     /* http://, https:// or file:// ; the global `mirror` may rewrite it */
	const char *dest;    /* final path; written as dest.part then renamed */
	const char *sha256;  /* expected lowercase hex, or NULL (then got_sha256 tells) */
	int64_t expect_size; /* -1: unknown */
	/* out */
	char got_sha256[65];
	uint8_t pad[3];
	int32_t fetched; /* 1: a transfer happened; 0: dest already matched, no request made */
};

/* ---- the services the core hands to plugins ---------------------------------------- */
struct lia_host {
	uint32_t size; /* sizeof(struct lia_host) of the running core */
	uint16_t abi_major, abi_minor;

	/* logging; the core prefixes "plugin/phase:" */
	void (*log)(struct lia_ctx *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* Record the failure message and return code, which must be < 0 (a negative errno
	 * is best).  `return ctx->host->error(ctx, -ENOENT, ...)` */
	int (*error)(struct lia_ctx *ctx, int code, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* One line of the dry-run plan, or of the change report of a real run:
	 * "create bridge lia-br0".  Printed under the plugin/phase heading. */
	void (*note)(struct lia_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* Long work: bytes or items done of total (total 0: unknown).  The core draws a bar
	 * on a terminal, prints periodic lines otherwise, nothing with -q.  Call it once with
	 * done == total at the end: the display then shows 100% and ends its line. */
	void (*progress)(struct lia_ctx *ctx, const char *what, uint64_t done, uint64_t total);

	/* where we are */
	const char *(*pipeline)(struct lia_ctx *ctx); /* "setup", "teardown", "vm", "gc", "check" */
	lia_phase_t (*phase)(struct lia_ctx *ctx);
	int (*dry_run)(struct lia_ctx *ctx);
	int (*quiet)(struct lia_ctx *ctx);
	const char *(*state_dir)(struct lia_ctx *ctx); /* e.g. /var/lib/lia */
	/* snprintf state_dir + "/" + fmt into buf; returns 0 or -ENAMETOOLONG */
	int (*path)(struct lia_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));
	/* a global setting of the `lia` block (state_dir, plugin_dir, mirror, ...) or NULL */
	const char *(*global)(struct lia_ctx *ctx, const char *key);

	/* This plugin's settings, already validated against its options[] (types, ranges,
	 * kinds).  Asking for an undeclared key is a plugin bug: NULL/0 and a warning. */
	const char *(*cfg_str)(struct lia_ctx *ctx, const char *key);
	int64_t (*cfg_int)(struct lia_ctx *ctx, const char *key);
	int (*cfg_bool)(struct lia_ctx *ctx, const char *key);
	/* returns the count; *items points to a NULL-terminated array owned by the core */
	size_t (*cfg_strings)(struct lia_ctx *ctx, const char *key, const char *const **items);
	int (*cfg_is_set)(struct lia_ctx *ctx, const char *key); /* 1: set in a file, 0: default */
	/* A configuration error about this plugin's setting `key` (NULL: the block), from
	 * check() or open(): printed as "FILE:LINE: PLUGIN.KEY: message"; the command exits 2.
	 * Returns -EINVAL for `return ctx->host->cfg_error(...)`. */
	int (*cfg_error)(struct lia_ctx *ctx, const char *key, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* "FILE:LINE" where this plugin's `key` was set (or its block, or "default"). */
	const char *(*cfg_where)(struct lia_ctx *ctx, const char *key);

	/* Facts published by plugins (struct lia_fact): the value or NULL when no enabled
	 * plugin publishes it; fact_where: "FILE:LINE (PLUGIN.SETTING)" of its origin. */
	const char *(*fact)(struct lia_ctx *ctx, const char *name);
	const char *(*fact_where)(struct lia_ctx *ctx, const char *name);

	/* The VM record (VM pipelines, vm commands and gc with a VM; NULL/-ENOENT otherwise).
	 * Keys: <lia/record.h>.  Plugins write only their own dotted keys ("net.ip"); the
	 * core's keys are read-only.  Values set are saved after the hook returns (and before
	 * any later ledger_add). */
	const char *(*vm_name)(struct lia_ctx *ctx);
	const char *(*vm_get)(struct lia_ctx *ctx, const char *key); /* NULL: unset */
	int64_t (*vm_get_int)(struct lia_ctx *ctx, const char *key, int64_t dflt);
	int (*vm_set)(struct lia_ctx *ctx, const char *key, const char *value); /* NULL unsets */
	int (*vm_set_int)(struct lia_ctx *ctx, const char *key, int64_t value);
	/* 1 when this operation was asked to be forceful (`vm stop --force`, gc reclaiming a
	 * dead VM): stop at once, do not wait for the guest. */
	int (*vm_force)(struct lia_ctx *ctx);

	/* The ledger: the host objects this VM owns.  Add the entry BEFORE creating the
	 * object (the record is written and fsynced before ledger_add returns), delete it
	 * AFTER removing the object (ledger_del changes the record in memory: the record's
	 * next save carries it, since a stale entry whose object is gone is harmless to undo()
	 * and gc).  kind: "tap", "socket", "disk", "pid", "file"...
	 * A "pid" entry's id is "PID:STARTTIME" (see proc_start_time): the core uses it to
	 * tell whether the VM's process is still alive. */
	int (*ledger_add)(struct lia_ctx *ctx, const char *kind, const char *id);
	int (*ledger_del)(struct lia_ctx *ctx, const char *kind, const char *id);
	/* 1 when any VM record's ledger holds (kind, id); for gc.  The calling VM's own
	 * ledger is read as it is in memory (with its unsaved ledger_del), the others as saved. */
	int (*ledger_owned)(struct lia_ctx *ctx, const char *kind, const char *id);

	/* Leases: the lowest free integer in [lo, hi] of `kind` ("ip4", "cid") across all VM
	 * records, taken under the state lock and written to this VM's record before return.
	 * Kinds are one namespace shared by every plugin (the role's plugin owns the kind:
	 * "ip4" the tap role, "cid" the vsock role); a VM holds one lease per kind - a plugin
	 * that needs several values of one pool uses kinds "ip4", "ip4.1", ... which share no
	 * values with each other.  Returns 0 or -ENOSPC when the pool is exhausted (error
	 * recorded).  A VM that already holds a lease of this kind gets the same one back.
	 * The lease shows in the ledger as kind "lease:KIND", id the decimal value. */
	int (*lease_take)(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out);
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
	int (*run)(struct lia_ctx *ctx, const char *const argv[], char *out, size_t outlen, int *status);

	/* Verified download: see struct lia_download.  0 or a recorded negative error. */
	int (*download)(struct lia_ctx *ctx, struct lia_download *req);

	/* ---- helpers (pam_modutil style): so that no plugin carries a copy ---- */
	/* mkdir -p; `mode` for the folders it creates.  0 existed, 1 created, or a recorded
	 * negative errno. */
	int (*mkdirs)(struct lia_ctx *ctx, const char *path, uint32_t mode);
	/* SHA-256 of a file as 64 lowercase hex digits + NUL.  0 or a recorded -errno. */
	int (*sha256_file)(struct lia_ctx *ctx, const char *path, char hex[65]);
	/* start time of a process (clock ticks since boot, /proc/PID/stat field 22), or 0
	 * when there is no such process or it is a zombie */
	uint64_t (*proc_start_time)(struct lia_ctx *ctx, pid_t pid);
	/* 1 when "PID:STARTTIME" names a live process (not a zombie), else 0 */
	int (*pid_alive)(struct lia_ctx *ctx, const char *pid_id);
	/* The value lease_take would hand out now, without taking it (a plan), or -ENOSPC */
	int (*lease_peek)(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out);

	void *reserved[16];
};

/* 1 when the running core has service `field` (a service added in a later minor) */
#define LIA_HOST_HAS(ctx, field)                                                               \
	((ctx)->host->size >= offsetof(struct lia_host, field) + sizeof((ctx)->host->field) && \
	 (ctx)->host->field != NULL)

/* ---- the descriptor ------------------------------------------------------------------ */
struct lia_plugin {
	uint32_t magic;                /* LIA_PLUGIN_MAGIC */
	uint16_t abi_major, abi_minor; /* LIA_ABI_MAJOR, LIA_ABI_MINOR at build time */
	uint32_t size;                 /* sizeof(struct lia_plugin) at build time */
	/* element sizes of the tables below, at build time (LIA_PLUGIN_HEADER fills them) */
	uint32_t option_size, hook_size, command_size, fact_size;
	uint32_t reserved0;
	const char *name; /* must equal the file stem: "net-bridge" */
	const char *version;
	/* Role: two enabled plugins with the same role are refused ("bridge", "tap",
	 * "image", "kernel", "vmm", "vsock", "host").  NULL: no role. */
	const char *provides;
	const char *description;
	const struct lia_option *options; /* {NULL}-terminated, may be NULL */
	const struct lia_hook *hooks;     /* {0}-terminated (phase 0), may be NULL */
	/* What preflight must find: "/dev/net/tun" (a path that must exist),
	 * "prog:mkfs.ext4" (a program on PATH), "prog:qemu-system-x86_64=qemu-system-x86"
	 * (the same, naming the Debian package that provides it).  NULL-terminated. */
	const char *const *needs;
	/* Checks across settings, after every block's types, ranges and kinds passed and the
	 * facts are known, before any hook (also by `config check`).  Report each problem
	 * with host->cfg_error(); return 0 or a negative errno.  May be NULL. */
	int (*check)(struct lia_ctx *ctx);
	/* Called once after check(), before the first hook; may be NULL.  Returns 0 or
	 * host->error(...). *state is handed to every hook. */
	int (*open)(struct lia_ctx *ctx, void **state);
	void (*close)(void *state);            /* may be NULL; must accept a half-opened state */
	const struct lia_command *vm_commands; /* {NULL}-terminated, may be NULL */
	const struct lia_fact *facts;          /* {NULL}-terminated, may be NULL */
	/* (ABI 2.1; may be NULL) Called for each of this plugin's hooks in a VM pipeline that
	 * is not a dry run (today: `vm start`, single, batch or API), before any hook of the
	 * pipeline runs; host->phase() says which hook.  Record in the VM's ledger
	 * (host->ledger_add) the ids of the objects that hook's run() will make, with the same
	 * ownership checks as run(); make nothing, change nothing on the host (take no lease).
	 * Return 0 (nothing to prepare is fine) or host->error(...), which fails the start
	 * before any hook runs.  The core calls every prepare() (of every VM of a batch), then
	 * saves the entries with one write (the record's "starting"; one group commit for a
	 * batch), then runs the hooks.  run()'s ledger_add of a prepared entry is a no-op.
	 * The core removes the entries a prepare() added when its hook does not run (an
	 * earlier hook failed), fails or returns LIA_HOOK_SKIP; a crash after the save leaves
	 * entries whose objects may not exist, which undo() and gc handle as always. */
	int (*prepare)(struct lia_ctx *ctx, void *state);
	/* (ABI 2.1; may be NULL) Finish work the hooks deferred (net-tap: delete the TAPs
	 * net-down retired, with one group delete); afterwards none remains.  Called once
	 * after a batch of VM pipelines (each `vm start`/`vm stop`/`vm destroy` command, each
	 * API operation, gc) before the VMs' locks are released, and before close().  There
	 * is no VM (vm_name is NULL).  A failure is reported as a warning: objects it could not
	 * remove are orphans that gc removes.  Like close(), must accept a half-opened state. */
	int (*flush)(struct lia_ctx *ctx, void *state);
	void *reserved[6];
};

#define LIA_PLUGIN_CAT_(a, b) a##b
/* (stem may itself be a macro: it is expanded before the names are pasted) */
#define LIA_PLUGIN_DEFINE(stem)                                                \
	extern const struct lia_plugin LIA_PLUGIN_CAT_(stem, _LTX_lia_plugin); \
	const struct lia_plugin LIA_PLUGIN_CAT_(stem, _LTX_lia_plugin)

/* Fill the header fields: LIA_PLUGIN_DEFINE(net_bridge) = { LIA_PLUGIN_HEADER, .name = ... }; */
#define LIA_PLUGIN_HEADER                                                                  \
	.magic = LIA_PLUGIN_MAGIC, .abi_major = LIA_ABI_MAJOR, .abi_minor = LIA_ABI_MINOR, \
	.size = sizeof(struct lia_plugin), .option_size = sizeof(struct lia_option),       \
	.hook_size = sizeof(struct lia_hook), .command_size = sizeof(struct lia_command),  \
	.fact_size = sizeof(struct lia_fact)

#ifdef __cplusplus
}
#endif
#endif
