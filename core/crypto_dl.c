/* libcrypto opened on first use; see crypto_dl.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include "crypto_dl.h"

#ifndef LIA_LIBCRYPTO_SONAME
#define LIA_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

#define LIA_CRYPTO_DEFINE(f) typeof(f) *sym_##f;
LIA_CRYPTO_FUNCS(LIA_CRYPTO_DEFINE)
#undef LIA_CRYPTO_DEFINE

int crypto_dl_open(char *err, size_t len)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed (the reason is kept) */
	static char why[512];
	if (state == 0) {
		void *h = dlopen(LIA_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_NODELETE);
		state = 1;
		if (!h) {
			snprintf(why, sizeof why, "cannot load %s (%s): apt-get install libssl3",
				 LIA_LIBCRYPTO_SONAME, dlerror());
			state = -1;
		}
#define LIA_CRYPTO_RESOLVE(f)                                                                       \
	if (state == 1 && !(*(void **)&sym_##f = dlsym(h, #f))) {                                   \
		snprintf(why, sizeof why, "%s has no %s: it is too old", LIA_LIBCRYPTO_SONAME, #f); \
		state = -1;                                                                         \
	}
		LIA_CRYPTO_FUNCS(LIA_CRYPTO_RESOLVE)
#undef LIA_CRYPTO_RESOLVE
	}
	if (state < 0) {
		if (err)
			snprintf(err, len, "%s", why);
		return -ELIBACC;
	}
	return 0;
}
