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
		progress_break(); /* another display's line, left open */
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
	char d[32], t[32], r[32], speed[80] = "";
	human((double)done, d, sizeof(d));
	human((double)total, t, sizeof(t));
	/* a rate (and an ETA) only once there is time to measure it: the first report
	 * would say "0 B/s, ETA 0s" */
	if (secs >= 0.2) {
		double rate = (double)done / secs;
		human(rate, r, sizeof(r));
		if (total && !final && rate > 0)
			snprintf(speed, sizeof(speed), ", %s/s, ETA %.0fs", r,
				 (double)(total - (done < total ? done : total)) / rate);
		else
			snprintf(speed, sizeof(speed), ", %s/s", r);
	}
	char line[256];
	if (total)
		snprintf(line, sizeof(line), "%s: %5.1f%% %s of %s%s", what,
			 100.0 * (double)(done < total ? done : total) / (double)total, d, t, speed);
	else
		snprintf(line, sizeof(line), "%s: %s%s", what, d, speed);
	if (tty) {
		fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
		lia_progress_open = !final;
	} else {
		fprintf(stderr, "lia-core: %s\n", line);
	}
	if (final) /* a later display of the same name starts afresh */
		c->prog_what[0] = '\0';
}
