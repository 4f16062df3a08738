#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run.h"
#include "util.h"

/* a hook ran since the last flush: only then is there work a flush() could finish (so a
 * command's own flush and the one before close() make one call, not two) */
static int flush_due;

static const struct hook_override *override_for(const struct plugin_block *b, lia_phase_t ph)
{
	for (int i = 0; i < b->nhooks; i++)
		if (b->hooks[i].phase == ph)
			return &b->hooks[i];
	return NULL;
}

static int cmp_step(const void *x, const void *y)
{
	const struct step *a = x, *b = y;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->lp->block->order != b->lp->block->order)
		return a->lp->block->order < b->lp->block->order ? -1 : 1;
	return strcmp(a->lp->desc->name, b->lp->desc->name);
}

void plan_build(struct app *a, const lia_phase_t *phases, size_t nphases, int undo, const lia_phase_t *only,
		size_t nonly, struct plan *out)
{
	memset(out, 0, sizeof(*out));
	out->undo = undo;
	size_t cap = 8;
	out->steps = xcalloc(cap, sizeof(struct step));
	for (size_t pi = 0; pi < nphases; pi++) {
		lia_phase_t ph = phases[pi];
		if (only) {
			int keep = 0;
			for (size_t k = 0; k < nonly; k++)
				keep |= only[k] == ph;
			if (!keep)
				continue;
		}
		size_t first = out->n;
		for (size_t i = 0; i < a->nplugins; i++) {
			struct loaded_plugin *lp = &a->plugins[i];
			for (const struct lia_hook *h = lp->desc->hooks; h && h->phase; h++) {
				if (h->phase != ph)
					continue;
				if (undo && !h->undo)
					continue;
				if (out->n == cap) {
					cap *= 2;
					out->steps = realloc(out->steps, cap * sizeof(struct step));
				}
				struct step *s = &out->steps[out->n++];
				const struct hook_override *o = override_for(lp->block, ph);
				s->lp = lp;
				s->hook = h;
				s->phase = ph;
				s->priority = (o && o->has_priority) ? o->priority
								     : (h->priority ? h->priority : 500);
				s->warn = o ? o->warn : 0;
			}
		}
		qsort(out->steps + first, out->n - first, sizeof(struct step), cmp_step);
		if ((undo || phase_runs_reversed(ph)) && out->n > first + 1)
			for (size_t i = first, j = out->n - 1; i < j; i++, j--) {
				struct step t = out->steps[i];
				out->steps[i] = out->steps[j];
				out->steps[j] = t;
			}
	}
}

void plan_pipeline(struct app *a, const struct pipeline_def *pd, int undo, struct plan *out)
{
	plan_build(a, pd->phases, pd->n, undo, NULL, 0, out);
}

void plan_free(struct plan *p)
{
	free(p->steps);
	memset(p, 0, sizeof(*p));
}

static int find_prog(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || strchr(name, '/'))
		return access(name, X_OK) == 0;
	char *copy = xstrdup(path), *save = NULL;
	int found = 0;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, name);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

/* what each enabled plugin declares it needs; part of preflight */
static int check_needs(struct app *a)
{
	int bad = 0;
	for (size_t i = 0; i < a->nplugins; i++) {
		const struct lia_plugin *d = a->plugins[i].desc;
		for (const char *const *n = d->needs; n && *n; n++) {
			if (strncmp(*n, "prog:", 5) == 0) {
				/* "prog:NAME" or "prog:NAME=DEBIAN-PACKAGE" */
				char prog[256];
				const char *pkg = strchr(*n + 5, '=');
				snprintf(prog, sizeof(prog), "%.*s", pkg ? (int)(pkg - *n - 5) : 255, *n + 5);
				if (!find_prog(prog)) {
					if (pkg)
						msg_err("setup/preflight: plugin '%s' needs the program '%s', which is not on PATH (apt-get install %s)",
							d->name, prog, pkg + 1);
					else
						msg_err("setup/preflight: plugin '%s' needs the program '%s', which is not on PATH (install the package that provides it)",
							d->name, prog);
					app_fail(a, "plugin_failed", d->name, "preflight",
						 "needs the program '%s', which is not on PATH", prog);
					bad++;
				}
			} else {
				struct stat st;
				if (stat(*n, &st) < 0) {
					int e = errno;
					msg_err("setup/preflight: plugin '%s' needs %s: %s", d->name, *n,
						strerror(e));
					app_fail(a, "plugin_failed", d->name, "preflight", "needs %s: %s", *n,
						 strerror(e));
					bad++;
				}
			}
		}
	}
	return bad;
}

static void report_step(struct app *a, struct step *s, const char *result, double ms, struct core_ctx *c)
{
	if (!a->report)
		return;
	json_t *steps = json_object_get(a->report, "steps");
	json_t *j = json_pack("{s:s,s:s,s:s,s:f}", "phase", phase_name(s->phase), "plugin", s->lp->desc->name,
			      "result", result, "ms", ms);
	if (c) {
		json_object_set(j, "notes", c->notes);
		if (c->err[0])
			json_object_set_new(j, "error", json_string(c->err));
	}
	if (!c && s->hook->summary)
		json_object_set_new(j, "summary", json_string(s->hook->summary));
	json_array_append_new(steps, j);
}

static int call(struct app *a, struct step *s, const struct run_opts *o, lia_hook_fn fn, struct core_ctx *c)
{
	ctx_init(c, a, s->lp, o->pipeline, s->phase, o->vm);
	flush_due |= !a->dry_run;
	c->force = o->force;
	int r = fn(&c->pub, s->lp->state);
	/* values the hook set (a new ledger entry was saved when added; removed ones ride along
	 * with this save or a later one) */
	if (o->vm && o->vm->dirty) {
		int e = record_save(o->vm);
		if (e < 0 && r >= 0)
			r = core_error(c, e, "cannot write VM record %s: %s", o->vm->path, strerror(-e));
	}
	if (r < 0 && !c->err[0])
		core_error(c, r, "%s", strerror(-r));
	return r;
}

static void rollback(struct app *a, struct plan *p, size_t *done, size_t ndone, const struct run_opts *o)
{
	for (size_t k = ndone; k-- > 0;) {
		struct step *s = &p->steps[done[k]];
		if (!s->hook->undo)
			continue;
		struct core_ctx c;
		int r = call(a, s, o, s->hook->undo, &c);
		if (r < 0)
			msg_err("%s/%s: %s: undo failed: %s", o->pipeline, phase_name(s->phase),
				s->lp->desc->name, c.err);
		else if (!a->json && !lia_quiet)
			printf("  undone %s/%s: %s\n", o->pipeline, phase_name(s->phase), s->lp->desc->name);
		report_step(a, s, r < 0 ? "undo-failed" : "undone", 0, &c);
		ctx_fini(&c);
	}
}

int plan_prepare(struct app *a, struct plan *p, struct run_opts *o)
{
	o->prepared = NULL;
	if (a->dry_run || !o->vm)
		return 0;
	int any = 0;
	for (size_t i = 0; i < p->n; i++)
		any |= p->steps[i].lp->desc->prepare != NULL;
	if (!any)
		return 0;
	o->prepared = xcalloc(p->n + 1, sizeof(json_t *));
	o->vm->hold_saves = 1;
	int rc = 0;
	for (size_t i = 0; i < p->n && !rc; i++) {
		struct step *s = &p->steps[i];
		if (!s->lp->desc->prepare)
			continue;
		struct core_ctx c;
		ctx_init(&c, a, s->lp, o->pipeline, s->phase, o->vm);
		json_t *before = ledger_snapshot(o->vm);
		int r = s->lp->desc->prepare(&c.pub, s->lp->state);
		o->prepared[i] = ledger_added_since(o->vm, before);
		json_decref(before);
		if (r < 0) {
			if (!c.err[0])
				core_error(&c, r, "%s", strerror(-r));
			msg_err("%s/%s: %s: %s", o->pipeline, phase_name(s->phase), s->lp->desc->name, c.err);
			app_fail(a, "plugin_failed", s->lp->desc->name, phase_name(s->phase), "%s", c.err);
			report_step(a, s, "failed", 0, &c);
			rc = EXIT_FAIL;
		}
		ctx_fini(&c);
	}
	o->vm->hold_saves = 0;
	if (rc)
		plan_prepared_drop(p, o, 0);
	return rc;
}

/* the entries prepared for steps from..to-1 removed: those steps made nothing */
static void prepared_drop(const struct run_opts *o, size_t from, size_t to)
{
	for (size_t i = from; o->prepared && i < to; i++) {
		if (o->prepared[i] && o->vm)
			ledger_del_all(o->vm, o->prepared[i]);
		json_decref(o->prepared[i]);
		o->prepared[i] = NULL;
	}
}

void plan_prepared_drop(struct plan *p, struct run_opts *o, size_t from)
{
	if (!o->prepared)
		return;
	prepared_drop(o, from, p->n);
	if (from == 0) {
		free(o->prepared);
		o->prepared = NULL;
	}
}

/* the step ran and made what it prepared: its entries are run()'s own now */
static void prepared_keep(const struct run_opts *o, size_t i)
{
	if (o->prepared) {
		json_decref(o->prepared[i]);
		o->prepared[i] = NULL;
	}
}

void plan_flush(struct app *a)
{
	if (!a->opened || !flush_due)
		return;
	flush_due = 0;
	for (size_t i = 0; i < a->nplugins; i++) {
		struct loaded_plugin *lp = &a->plugins[i];
		if (!lp->opened || !lp->desc->flush)
			continue;
		struct core_ctx c;
		ctx_init(&c, a, lp, "flush", LIA_PHASE_NONE, NULL);
		int r = lp->desc->flush(&c.pub, lp->state);
		if (r < 0)
			msg_warn("%s: flush: %s (`lia-core gc` removes what is left)", lp->desc->name,
				 c.err[0] ? c.err : strerror(-r));
		ctx_fini(&c);
	}
}

int plan_run(struct app *a, struct plan *p, const struct run_opts *o)
{
	int has_preflight = 0;
	for (size_t i = 0; i < p->n; i++)
		has_preflight |= p->steps[i].phase == LIA_PHASE_PREFLIGHT && !p->undo;

	if (a->dry_run) {
		for (size_t i = 0; i < p->n; i++) {
			struct step *s = &p->steps[i];
			if (!a->json)
				printf("%s/%s: %s%s: %s\n", o->pipeline, phase_name(s->phase),
				       s->lp->desc->name, p->undo ? " (undo)" : "",
				       s->hook->summary ? s->hook->summary : "(no summary)");
			if (s->hook->plan && !p->undo) {
				struct core_ctx c;
				int r = call(a, s, o, s->hook->plan, &c);
				if (r < 0 && !a->json)
					printf("    (cannot tell: %s)\n", c.err);
				report_step(a, s, "planned", 0, &c);
				ctx_fini(&c);
			} else {
				report_step(a, s, "planned", 0, NULL);
			}
		}
		return 0;
	}

	if (has_preflight && check_needs(a) > 0)
		return EXIT_FAIL;

	size_t *done = xcalloc(p->n + 1, sizeof(size_t));
	size_t ndone = 0;
	int rc = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];
		lia_hook_fn fn = p->undo ? s->hook->undo : s->hook->run;
		struct core_ctx c;
		if (lia_interrupted && !p->undo) {
			/* like a failed step: undo what is done (teardown and gc keep going) */
			msg_err("%s: interrupted by %s before %s/%s; rolling back", o->pipeline,
				lia_interrupted == SIGINT ? "SIGINT" : "SIGTERM", phase_name(s->phase),
				s->lp->desc->name);
			if (!o->no_rollback)
				rollback(a, p, done, ndone, o);
			prepared_drop(o, i, p->n); /* these never ran */
			rc = EXIT_FAIL;
			break;
		}
		double t0 = now_ms();
		int r = call(a, s, o, fn, &c);
		if (r == 0)
			prepared_keep(o, i);
		else /* failed or skipped: it made nothing (a failed run() cleans up after itself) */
			prepared_drop(o, i, i + 1);
		double ms = now_ms() - t0;
		const char *res = r < 0                ? (s->warn ? "warned" : "failed")
				  : r == LIA_HOOK_SKIP ? "skipped"
						       : "ok";
		if (r < 0) {
			if (s->warn || p->undo) {
				/* teardown keeps going: leave as little behind as possible */
				msg_warn("%s/%s: %s: %s", o->pipeline, phase_name(s->phase),
					 s->lp->desc->name, c.err);
				if (p->undo && !s->warn)
					rc = EXIT_FAIL;
			} else {
				msg_err("%s/%s: %s: %s", o->pipeline, phase_name(s->phase), s->lp->desc->name,
					c.err);
				app_fail(a, "plugin_failed", s->lp->desc->name, phase_name(s->phase), "%s",
					 c.err);
				report_step(a, s, res, ms, &c);
				ctx_fini(&c);
				if (!o->no_rollback)
					rollback(a, p, done, ndone, o);
				prepared_drop(o, i + 1, p->n); /* these never ran */
				rc = EXIT_FAIL;
				break;
			}
		} else {
			if (r == 0)
				done[ndone++] = i;
			if (!a->json && !lia_quiet)
				printf("%s/%s: %s: %s (%.1f ms)\n", o->pipeline, phase_name(s->phase),
				       s->lp->desc->name, res, ms);
		}
		report_step(a, s, res, ms, &c);
		ctx_fini(&c);
	}
	if (!rc && lia_interrupted && !p->undo && p->n) {
		msg_err("%s: interrupted by %s in its last step; rolling back", o->pipeline,
			lia_interrupted == SIGINT ? "SIGINT" : "SIGTERM");
		if (!o->no_rollback)
			rollback(a, p, done, ndone, o);
		rc = EXIT_FAIL;
	}
	free(done);
	return rc;
}

int plan_undo_all(struct app *a, struct plan *p, const struct run_opts *o)
{
	int bad = 0;
	for (size_t k = p->n; k-- > 0;) {
		struct step *s = &p->steps[k];
		if (!s->hook->undo)
			continue;
		struct core_ctx c;
		if (call(a, s, o, s->hook->undo, &c) < 0) {
			msg_err("%s/%s: %s: undo failed: %s", o->pipeline, phase_name(s->phase),
				s->lp->desc->name, c.err);
			bad++;
		}
		ctx_fini(&c);
	}
	return bad;
}
