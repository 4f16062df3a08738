# plugins/fc-driver: the Firecracker VMM driver (role "vmm"); configure: --disable-fc-driver
FC_DRIVER_SH_TESTS = \
	tests/fc-driver/double.sh \
	tests/fc-driver/lifecycle.sh \
	tests/fc-driver/inject.sh \
	tests/fc-driver/crash.sh \
	tests/fc-driver/concurrent.sh \
	tests/fc-driver/symlinks.sh \
	tests/fc-driver/real.sh \
	tests/fc-driver/prefix.sh \
	tests/fc-install/install.sh
# the shell tests are listed even when the plugin is not built: they skip, saying why
TESTS += $(FC_DRIVER_SH_TESTS)
EXTRA_DIST += $(FC_DRIVER_SH_TESTS) tests/guest/guest.S tests/fc-driver/lib-fc.sh \
	tests/fc-install/mktarball.py tests/bench/vm-bench.sh conf/conf.d/50-fc-driver.conf

if BUILD_FC_DRIVER
plugin_LTLIBRARIES += plugins/fc-driver/fc-driver.la
plugins_fc_driver_fc_driver_la_SOURCES = \
	plugins/fc-driver/fc-driver.c \
	plugins/fc-driver/fc-args.c plugins/fc-driver/fc-args.h \
	plugins/common/bootargs.c plugins/common/bootargs.h \
	plugins/common/confine.c plugins/common/confine.h \
	plugins/fc-driver/fc-api.c plugins/fc-driver/fc-api.h \
	plugins/common/vmm-proc.c plugins/common/vmm-proc.h \
	plugins/common/vmm-gc.c plugins/common/vmm-gc.h \
	plugins/common/vmm-record.c plugins/common/vmm-record.h \
	plugins/fc-driver/fc-jail.c plugins/fc-driver/fc-jail.h \
	plugins/common/vmm-file.c plugins/common/vmm-file.h \
	plugins/fc-driver/install.c plugins/fc-driver/install.h
plugins_fc_driver_fc_driver_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(LIBARCHIVE_CFLAGS)
plugins_fc_driver_fc_driver_la_LDFLAGS = $(PLUGIN_LDFLAGS)
# libarchive: headers only, dlopen-ed on first use (install.c); the API client is our own
# (fc-api.c: libcurl cost ~17 ms per `vm start` to load)
plugins_fc_driver_fc_driver_la_LIBADD = $(JANSSON_LIBS) $(DL_LIBS) $(CRYPTO_LIBS)
PRELOAD_PLUGINS += plugins/fc-driver/fc-driver.la
PLUGIN_BUILD_DIRS += plugins/fc-driver/.libs
LIA_CONFD_FILES += conf/conf.d/50-fc-driver.conf

# --- test programs --------------------------------------------------------------------
# The unit test of the pure helpers.  The Firecracker API test double is built and installed
# with the test kit (tests/testkit/local.mk), whatever plugins are built.
check_PROGRAMS += tests/fc-driver/unit
tests_fc_driver_unit_SOURCES = tests/fc-driver/unit.c plugins/fc-driver/fc-args.c plugins/common/bootargs.c
tests_fc_driver_unit_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/plugins/fc-driver -I$(top_srcdir)/plugins/common
tests_fc_driver_unit_LDADD = $(JANSSON_LIBS)
TESTS += tests/fc-driver/unit

# the API client against a scripted server on a real Unix socket
check_PROGRAMS += tests/fc-driver/api-client
tests_fc_driver_api_client_SOURCES = tests/fc-driver/api-client.c plugins/fc-driver/fc-api.c \
	plugins/fc-driver/fc-args.c plugins/common/bootargs.c plugins/common/vmm-proc.c
tests_fc_driver_api_client_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -pthread -I$(top_srcdir)/plugins/fc-driver -I$(top_srcdir)/plugins/common
tests_fc_driver_api_client_LDADD = $(JANSSON_LIBS) -lpthread
TESTS += tests/fc-driver/api-client

# the install phase run through the fake host of tests/download/local.mk
check_PROGRAMS += tests/fc-install/fci-test
tests_fc_install_fci_test_SOURCES = tests/fc-install/fci-test.c \
	plugins/fc-driver/install.c plugins/fc-driver/install.h \
	$(FAKEHOST_SOURCES)
tests_fc_install_fci_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_fc_install_fci_test_CFLAGS = $(FAKEHOST_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_fc_install_fci_test_LDADD = $(CRYPTO_LIBS) $(LIBARCHIVE_LIBS) $(DL_LIBS)
endif

# The tiny guest kernels (tests/guest/guest.S): 64-bit ELF linked at 16 MiB.
FC_GUESTS = tests/guest/guest-wait.elf tests/guest/guest-nokbd.elf tests/guest/guest-exit.elf
CLEANFILES += $(FC_GUESTS)
FC_GUEST_LINK = $(CC) -nostdlib -static -no-pie -Wl,-Ttext=0x1000000 -Wl,--build-id=none -Wl,-z,noexecstack
tests/guest/guest-wait.elf: tests/guest/guest.S
	@$(MKDIR_P) tests/guest
	$(AM_V_CC)$(FC_GUEST_LINK) -DGUEST_MODE=0 -o $@ $(top_srcdir)/tests/guest/guest.S
tests/guest/guest-nokbd.elf: tests/guest/guest.S
	@$(MKDIR_P) tests/guest
	$(AM_V_CC)$(FC_GUEST_LINK) -DGUEST_MODE=1 -o $@ $(top_srcdir)/tests/guest/guest.S
tests/guest/guest-exit.elf: tests/guest/guest.S
	@$(MKDIR_P) tests/guest
	$(AM_V_CC)$(FC_GUEST_LINK) -DGUEST_MODE=2 -o $@ $(top_srcdir)/tests/guest/guest.S
