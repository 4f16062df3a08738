/* libcurl opened on first use; see curl_dl.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "curl_dl.h"

#ifndef LIA_LIBCURL_SONAME
#define LIA_LIBCURL_SONAME "libcurl.so.4"
#endif

#define LIA_CURL_DEFINE(f) typeof(f) *sym_##f;
LIA_CURL_FUNCS(LIA_CURL_DEFINE)
#undef LIA_CURL_DEFINE

int curl_dl_open(char *err, size_t len)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed (the reason is kept) */
	static char why[512];
	if (state == 0) {
		/* never closed: libcurl keeps global state (TLS) until exit */
		void *h = dlopen(LIA_LIBCURL_SONAME, RTLD_NOW | RTLD_NODELETE);
		state = 1;
		if (!h) {
			snprintf(why, sizeof why, "cannot load %s (%s): apt-get install libcurl4",
				 LIA_LIBCURL_SONAME, dlerror());
			state = -1;
		}
#define LIA_CURL_RESOLVE(f)                                                                       \
	if (state == 1 && !(*(void **)&sym_##f = dlsym(h, #f))) {                                 \
		snprintf(why, sizeof why, "%s has no %s: it is too old", LIA_LIBCURL_SONAME, #f); \
		state = -1;                                                                       \
	}
		LIA_CURL_FUNCS(LIA_CURL_RESOLVE)
#undef LIA_CURL_RESOLVE
	}
	if (state < 0) {
		snprintf(err, len, "%s", why);
		return -ELIBACC;
	}
	return 0;
}
