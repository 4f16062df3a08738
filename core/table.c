/* Text tables sized to their contents (vm list, vm show, plugins). */
#include "config.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "table.h"
#include "util.h"

void table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void table_row(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, t->cap * t->ncols * sizeof(*c));
		if (!c) {
			msg_err("out of memory");
			abort();
		}
		t->cells = c;
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "-");
	t->nrows++;
}

void table_kv(struct table *t, const char *key, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		v = NULL;
	va_end(ap);
	const char *cells[2] = { key, v };
	table_row(t, cells);
	free(v);
}

void table_print(const struct table *t, FILE *f)
{
	size_t *w = xcalloc(t->ncols ? t->ncols : 1, sizeof(*w));
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t n = strlen(t->cells[r * t->ncols + i]);
			if (n > w[i])
				w[i] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];
			if (i + 1 < t->ncols)
				fprintf(f, "%-*s  ", (int)w[i], s);
			else
				fprintf(f, "%s\n", s);
		}
	}
	free(w);
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
