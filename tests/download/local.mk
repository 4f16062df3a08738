# Tests of verified downloads (core/download.c), kernel-fetch and fc-driver's install
# phase.  The three check programs run the code under test through a fake host
# (tests/download/fakehost.c), so they need neither lia-core nor the fc-driver plugin.
FAKEHOST_SOURCES = tests/download/fakehost.c tests/download/fakehost.h core/download.c core/download.h core/hashq.c core/hashq.h \
	core/svc_helpers.c core/svc_spawn.c core/util.c
FAKEHOST_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS)

check_PROGRAMS += tests/download/dl-test tests/kernel-fetch/kf-test tests/fc-install/fci-test

tests_download_dl_test_SOURCES = tests/download/dl-test.c $(FAKEHOST_SOURCES)
tests_download_dl_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_download_dl_test_CFLAGS = $(FAKEHOST_CFLAGS)
tests_download_dl_test_LDADD = $(CURL_LIBS) $(CRYPTO_LIBS)

tests_kernel_fetch_kf_test_SOURCES = tests/kernel-fetch/kf-test.c \
	plugins/kernel-fetch/kernel-fetch.c plugins/kernel-fetch/elfcheck.c plugins/kernel-fetch/elfcheck.h \
	$(FAKEHOST_SOURCES)
tests_kernel_fetch_kf_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_kernel_fetch_kf_test_CFLAGS = $(FAKEHOST_CFLAGS)
tests_kernel_fetch_kf_test_LDADD = $(CURL_LIBS) $(CRYPTO_LIBS)

tests_fc_install_fci_test_SOURCES = tests/fc-install/fci-test.c \
	plugins/fc-driver/install.c plugins/fc-driver/install.h \
	$(FAKEHOST_SOURCES)
tests_fc_install_fci_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_fc_install_fci_test_CFLAGS = $(FAKEHOST_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_fc_install_fci_test_LDADD = $(CURL_LIBS) $(CRYPTO_LIBS) $(LIBARCHIVE_LIBS)

TESTS += \
	tests/download/download.sh \
	tests/kernel-fetch/kernel-fetch.sh \
	tests/kernel-fetch/lia-core.sh \
	tests/fc-install/install.sh
EXTRA_DIST += \
	tests/range_server.py \
	tests/download/common.sh \
	tests/download/download.sh \
	tests/kernel-fetch/kernel-fetch.sh \
	tests/kernel-fetch/lia-core.sh \
	tests/kernel-fetch/mkkernel.py \
	tests/fc-install/install.sh \
	tests/fc-install/mktarball.py \
	tests/bench/download-bench.sh
