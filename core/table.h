/* Text tables sized to their contents: each column as wide as its widest cell, two
 * spaces between columns, the last column not padded. */
#ifndef LIA_TABLE_H
#define LIA_TABLE_H
#include <stddef.h>
#include <stdio.h>

struct table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols, owned */
};

void table_init(struct table *t, size_t ncols);
/* one row of ncols cells (NULL prints as "-") */
void table_row(struct table *t, const char *const *cells);
/* a row of two cells, the second formatted */
void table_kv(struct table *t, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);
#endif
