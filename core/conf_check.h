/* Value checks of settings (see conf_check.c). */
#ifndef LIA_CORE_CONF_CHECK_H
#define LIA_CORE_CONF_CHECK_H
#include <stddef.h>
#include <stdint.h>
#include <lia/plugin.h>

const char *option_value_problem(const struct lia_option *o, const char *s, char *buf, size_t len);
const char *int_problem(const struct lia_option *o, int64_t v, char *buf, size_t len);
const char *option_default_problem(const struct lia_option *o);
/* "a.b.c.d/n": 0, -1 not an address, -2 bad prefix */
int cidr_parse(const char *s, uint32_t *addr, int *prefix);
/* the integer literal as written at file:line for `name` (libconfig truncates); 0 or -1 */
int literal_int(const char *file, int line, const char *name, int64_t *out, int *overflow);
/* 1 when the string literal at file:line holds a NUL escape */
int literal_has_nul(const char *file, int line, const char *name);
/* the declared option nearest to a misspelt key, or NULL */
const char *closest_option(const struct lia_option *opts, const char *key);
void conf_check_release(void);

#endif
