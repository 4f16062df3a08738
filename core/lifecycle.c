#include "config.h"
#include <string.h>
#include "lifecycle.h"

static const struct {
	lia_phase_t p;
	const char *name;
} phases[] = {
	{ LIA_PHASE_PREFLIGHT, "preflight" }, { LIA_PHASE_DIRS, "dirs" },
	{ LIA_PHASE_INSTALL, "install" },     { LIA_PHASE_KERNEL, "kernel" },
	{ LIA_PHASE_IMAGE, "image" },         { LIA_PHASE_NETWORK, "network" },
	{ LIA_PHASE_SERVICES, "services" },   { LIA_PHASE_VERIFY, "verify" },
	{ LIA_PHASE_CREATE, "create" },       { LIA_PHASE_NET_UP, "net-up" },
	{ LIA_PHASE_BOOT, "boot" },           { LIA_PHASE_STARTED, "started" },
	{ LIA_PHASE_STOP, "stop" },           { LIA_PHASE_NET_DOWN, "net-down" },
	{ LIA_PHASE_DESTROY, "destroy" },     { LIA_PHASE_GC, "gc" },
};
#define N(x) (sizeof(x) / sizeof((x)[0]))

const char *phase_name(lia_phase_t p)
{
	for (size_t i = 0; i < N(phases); i++)
		if (phases[i].p == p)
			return phases[i].name;
	return "?";
}

lia_phase_t phase_from_name(const char *name)
{
	for (size_t i = 0; i < N(phases); i++)
		if (strcmp(phases[i].name, name) == 0)
			return phases[i].p;
	return LIA_PHASE_NONE;
}

int phase_known(lia_phase_t p)
{
	return strcmp(phase_name(p), "?") != 0;
}

int phase_runs_reversed(lia_phase_t p)
{
	return p == LIA_PHASE_STOP || p == LIA_PHASE_NET_DOWN || p == LIA_PHASE_DESTROY;
}

static const lia_phase_t setup_ph[] = { LIA_PHASE_PREFLIGHT, LIA_PHASE_DIRS,  LIA_PHASE_INSTALL,
					LIA_PHASE_KERNEL,    LIA_PHASE_IMAGE, LIA_PHASE_NETWORK,
					LIA_PHASE_SERVICES,  LIA_PHASE_VERIFY };
static const lia_phase_t create_ph[] = { LIA_PHASE_CREATE };
static const lia_phase_t start_ph[] = { LIA_PHASE_NET_UP, LIA_PHASE_BOOT, LIA_PHASE_STARTED };
static const lia_phase_t stop_ph[] = { LIA_PHASE_STOP, LIA_PHASE_NET_DOWN };
static const lia_phase_t destroy_ph[] = { LIA_PHASE_DESTROY };
static const lia_phase_t gc_ph[] = { LIA_PHASE_GC };

const struct pipeline_def PIPE_SETUP = { "setup", setup_ph, N(setup_ph) };
const struct pipeline_def PIPE_CREATE = { "create", create_ph, N(create_ph) };
const struct pipeline_def PIPE_START = { "start", start_ph, N(start_ph) };
const struct pipeline_def PIPE_STOP = { "stop", stop_ph, N(stop_ph) };
const struct pipeline_def PIPE_DESTROY = { "destroy", destroy_ph, N(destroy_ph) };
const struct pipeline_def PIPE_GC = { "gc", gc_ph, N(gc_ph) };
const struct pipeline_def *const lia_pipelines[] = { &PIPE_SETUP,   &PIPE_CREATE, &PIPE_START, &PIPE_STOP,
						     &PIPE_DESTROY, &PIPE_GC,     NULL };

const struct pipeline_def *pipeline_of_phase(lia_phase_t p)
{
	for (size_t i = 0; lia_pipelines[i]; i++)
		for (size_t k = 0; k < lia_pipelines[i]->n; k++)
			if (lia_pipelines[i]->phases[k] == p)
				return lia_pipelines[i];
	return NULL;
}

static const char *const state_names[] = {
	[VM_UNKNOWN] = "?",         [VM_CREATING] = "creating",     [VM_CREATED] = "created",
	[VM_STARTING] = "starting", [VM_RUNNING] = "running",       [VM_STOPPING] = "stopping",
	[VM_STOPPED] = "stopped",   [VM_DESTROYING] = "destroying", [VM_FAILED] = "failed",
};

const char *vm_state_name(enum vm_state s)
{
	return (size_t)s < N(state_names) ? state_names[s] : "?";
}

enum vm_state vm_state_from_name(const char *name)
{
	if (!name)
		return VM_UNKNOWN;
	for (size_t i = 1; i < N(state_names); i++)
		if (strcmp(state_names[i], name) == 0)
			return (enum vm_state)i;
	return VM_UNKNOWN;
}

const struct gc_rule lia_gc_rules[] = {
	{ VM_CREATING, GC_UNDO_DELETE, &PIPE_CREATE, VM_UNKNOWN, "was left half created; undoing it" },
	{ VM_FAILED, GC_UNDO_DELETE, &PIPE_CREATE, VM_UNKNOWN, "failed to be created; undoing it" },
	{ VM_DESTROYING, GC_FORWARD_DELETE, &PIPE_DESTROY, VM_UNKNOWN, "was left half destroyed; finishing" },
	{ VM_STARTING, GC_UNDO_TO, &PIPE_START, VM_STOPPED, "was left half started; undoing the start" },
	{ VM_STOPPING, GC_STOP, &PIPE_STOP, VM_STOPPED, "was left half stopped; finishing the stop" },
	{ VM_RUNNING, GC_STOP, &PIPE_STOP, VM_STOPPED, "is not running any more; reclaiming its resources" },
	{ VM_UNKNOWN, GC_NONE, NULL, VM_UNKNOWN, NULL },
};

const struct gc_rule *gc_rule_for(enum vm_state s)
{
	for (const struct gc_rule *g = lia_gc_rules; g->from != VM_UNKNOWN; g++)
		if (g->from == s)
			return g;
	return NULL;
}

int vm_state_transient(enum vm_state s)
{
	return s == VM_CREATING || s == VM_STARTING || s == VM_STOPPING || s == VM_DESTROYING;
}
