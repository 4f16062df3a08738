# Tests of the core: units (cmocka), loader, configuration, pipelines, VM records, host phases.
TESTS += tests/core/plugins-built.sh tests/abi/grow.sh tests/core/config-values.sh tests/core/plugin-check.sh tests/core/needs.sh tests/core/style.sh tests/core/loader.sh tests/core/config.sh tests/core/pipeline.sh tests/core/prepare.sh tests/core/vm.sh \
	tests/core/host-setup.sh tests/core/example.sh tests/core/valgrind.sh
EXTRA_DIST += tests/core/plugins-built.sh tests/abi/grow.sh tests/abi/grow-plugin.c tests/core/config-values.sh tests/core/plugin-check.sh tests/core/needs.sh tests/core/style.sh tests/core/loader.sh tests/core/config.sh tests/core/pipeline.sh tests/core/prepare.sh tests/core/vm.sh \
	tests/core/host-setup.sh tests/core/example.sh tests/core/valgrind.sh tests/stubs/recorder.c tests/stubs/build.sh
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-core
TESTS += tests/unit/test-core
tests_unit_test_core_SOURCES = tests/unit/test-core.c $(LIA_CORE_SOURCES)
tests_unit_test_core_CPPFLAGS = $(AM_CPPFLAGS) -DLIA_NO_PRELOAD -I$(top_srcdir)/core -DPLUGINDIR='"$(plugindir)"' -DSYSCONFDIR='"$(sysconfdir)"'
tests_unit_test_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBCONFIG_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_core_LDADD = $(CMOCKA_LIBS) $(LIBCONFIG_LIBS) $(JANSSON_LIBS) $(LTDL_LIBS) $(DL_LIBS)
endif

# The newcomer's path: conffile install, the test runner's progress lines, apt's lock.
NEWCOMER_TESTS = tests/core/install-conf.sh tests/core/test-progress.sh tests/core/apt-wait.sh \
	tests/core/readme-plugins.sh tests/core/docs.sh tests/core/tables.sh tests/core/messages.sh
TESTS += $(NEWCOMER_TESTS)
EXTRA_DIST += $(NEWCOMER_TESTS) tools/test.sh tools/test-progress.sh tools/build-progress.sh tools/apt-wait.sh

# core/sshkey.c: only OpenSSH public keys for --ssh-key (TAP, no cmocka needed)
check_PROGRAMS += tests/unit/test-sshkey
TESTS += tests/unit/test-sshkey
tests_unit_test_sshkey_SOURCES = tests/unit/test-sshkey.c core/sshkey.c core/sshkey.h
tests_unit_test_sshkey_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core

# issue 10: robustness of records and locks
TESTS += tests/core/lock-race.sh tests/core/ssh-key.sh tests/core/elf-valid.sh tests/core/signals.sh \
	tests/core/corrupt-record.sh tests/core/not-root.sh tests/core/sweep.sh tests/core/state-index.sh tests/core/state-index-stale.sh tests/core/destroy-relock.sh
EXTRA_DIST += tests/core/lock-race.sh tests/core/ssh-key.sh tests/core/elf-valid.sh tests/core/signals.sh \
	tests/core/corrupt-record.sh tests/core/not-root.sh tests/core/sweep.sh tests/core/state-index.sh tests/core/state-index-stale.sh tests/core/destroy-relock.sh
include tests/api/local.mk

# issue 10 #2 and #5: state_dir ownership, no link followed, record paths confined, memo writes
ROBUST_TESTS = tests/core/state-dir-owner.sh tests/core/state-links.sh tests/core/record-paths.sh tests/core/memo-rmw.sh
TESTS += $(ROBUST_TESTS)
EXTRA_DIST += $(ROBUST_TESTS)

# issue 13: the event log as the CLI appends to it (one open per event); the libraries a
# per-VM command maps with every shipped plugin
TESTS += tests/core/events-log.sh tests/core/lazy-libs.sh
EXTRA_DIST += tests/core/events-log.sh tests/core/lazy-libs.sh
# issue 13 #3: a batch's events, one append per group; the group commit's system calls
TESTS += tests/core/events-batch.sh tests/core/group-commit.sh
EXTRA_DIST += tests/core/events-batch.sh tests/core/group-commit.sh

# issue 13: the benchmarks of the core (`make bench` runs every tests/bench/*-bench.sh)
EXTRA_DIST += tests/bench/lib-bench.sh tests/bench/startup-bench.sh tests/bench/scale-bench.sh
