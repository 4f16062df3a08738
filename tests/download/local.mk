# Tests of verified downloads (core/download.c).  The check programs run the code under
# test through a fake host (tests/download/fakehost.c), so they need no lia-core; the
# kernel-fetch and fc-driver plugins register their own (kf-test, fci-test) in their
# plugins/NAME/local.mk with these FAKEHOST_* variables.
FAKEHOST_SOURCES = tests/download/fakehost.c tests/download/fakehost.h core/download.c core/download.h core/curl_dl.c core/curl_dl.h core/crypto_dl.c core/crypto_dl.h core/hashq.c core/hashq.h \
	core/svc_helpers.c core/svc_spawn.c core/util.c
FAKEHOST_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS)

check_PROGRAMS += tests/download/dl-test
tests_download_dl_test_SOURCES = tests/download/dl-test.c $(FAKEHOST_SOURCES)
tests_download_dl_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_download_dl_test_CFLAGS = $(FAKEHOST_CFLAGS)
tests_download_dl_test_LDADD = $(CRYPTO_LIBS) $(DL_LIBS)

TESTS += tests/download/download.sh
EXTRA_DIST += \
	tests/range_server.py \
	tests/download/common.sh \
	tests/download/download.sh \
	tests/bench/download-bench.sh
