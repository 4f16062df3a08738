/* libcurl, opened on first use (dlopen) instead of linked: most lia-core runs download
 * nothing, and mapping libcurl with its ~30 libraries cost more than half of a `vm list`.
 * The pattern of systemd's dlfcn-util: one table of function pointers, resolved once.
 * Calls go through sym_curl_*; <curl/curl.h> is used for its types and constants only. */
#ifndef LIA_CORE_CURL_DL_H
#define LIA_CORE_CURL_DL_H
#include <stddef.h>
#include <curl/curl.h>

/* every libcurl function the core calls */
/* (clang-format does not settle on one layout for X-macro lists) */
/* clang-format off */
#define LIA_CURL_FUNCS(X) \
	X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset) \
	X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror)

#define LIA_CURL_DECLARE(f) extern typeof(f) *sym_##f;
LIA_CURL_FUNCS(LIA_CURL_DECLARE)
#undef LIA_CURL_DECLARE
/* clang-format on */

/* open libcurl and resolve every function, once per process: 0, or -ELIBACC with the
 * reason (library or symbol missing) in ERR */
int curl_dl_open(char *err, size_t len);

#endif
