/* libmicrohttpd opened by `lia-core serve`; see mhd_dl.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "mhd_dl.h"

#ifndef LIA_LIBMHD_SONAME
#define LIA_LIBMHD_SONAME "libmicrohttpd.so.12" /* ABI 12 since 0.9.44 (2015) */
#endif

#define LIA_MHD_DEFINE(f) typeof(f) *sym_##f;
LIA_MHD_FUNCS(LIA_MHD_DEFINE)
#undef LIA_MHD_DEFINE

int mhd_dl_open(char *err, size_t len)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed (the reason is kept) */
	static char why[512];
	if (state == 0) {
		/* never closed: the daemon's threads run in it until exit */
		void *h = dlopen(LIA_LIBMHD_SONAME, RTLD_NOW | RTLD_NODELETE);
		state = 1;
		if (!h) {
			snprintf(why, sizeof why, "cannot load %s (%s): apt-get install libmicrohttpd12",
				 LIA_LIBMHD_SONAME, dlerror());
			state = -1;
		}
#define LIA_MHD_RESOLVE(f)                                                                       \
	if (state == 1 && !(*(void **)&sym_##f = dlsym(h, #f))) {                                \
		snprintf(why, sizeof why, "%s has no %s: it is too old", LIA_LIBMHD_SONAME, #f); \
		state = -1;                                                                      \
	}
		LIA_MHD_FUNCS(LIA_MHD_RESOLVE)
#undef LIA_MHD_RESOLVE
	}
	if (state < 0) {
		snprintf(err, len, "%s", why);
		return -ELIBACC;
	}
	return 0;
}
