/* Progress of long work: a bar on a terminal, periodic lines otherwise. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "services.h"
#include "util.h"

static void human(double v, char *out, size_t n)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

void svc_progress(struct lia_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct core_ctx *c = CC(ctx);
	if (lia_quiet || c->app->json)
		return;
	double now = now_ms();
	if (strncmp(c->prog_what, what, sizeof(c->prog_what) - 1) != 0) {
		snprintf(c->prog_what, sizeof(c->prog_what), "%s", what);
		c->prog_start = now;
		c->prog_last = 0;
	}
	int tty = isatty(2);
	int final = total && done >= total;
	if (!final && now - c->prog_last < (tty ? 100 : 5000))
		return;
	c->prog_last = now;
	double secs = (now - c->prog_start) / 1000.0;
	double rate = secs > 0 ? (double)done / secs : 0;
	char d[32], t[32], r[32];
	human((double)done, d, sizeof(d));
	human((double)total, t, sizeof(t));
	human(rate, r, sizeof(r));
	char line[256];
	if (total) {
		double eta = rate > 0 ? (double)(total - (done < total ? done : total)) / rate : 0;
		snprintf(line, sizeof(line), "%s: %5.1f%% %s of %s, %s/s, ETA %.0fs", what,
			 100.0 * (double)done / (double)total, d, t, r, eta);
	} else {
		snprintf(line, sizeof(line), "%s: %s, %s/s", what, d, r);
	}
	if (tty)
		fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "lia-core: %s\n", line);
}

