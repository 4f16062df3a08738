# The installed test kit ($(datadir)/lia/testkit): lia-testenv (a throwaway namespace, state_dir,
# mirror and configuration around a command), its shell library, the strict Firecracker API test
# double and the tiny test guests.  `pkg-config --variable=testkitdir lia-plugin` names the folder.
testkitdir = $(datadir)/lia/testkit
testkit_PROGRAMS = tests/fcdouble/fcdouble
tests_fcdouble_fcdouble_SOURCES = tests/fcdouble/fcdouble.c
tests_fcdouble_fcdouble_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fcdouble_fcdouble_LDADD = $(JANSSON_LIBS)
dist_testkit_SCRIPTS = tests/testkit/lia-testenv
dist_testkit_DATA = tests/testkit/testenv-lib.sh
# the guests' rules are in plugins/fc-driver/local.mk
testkit_DATA = $(FC_GUESTS)

# Tests of the contracts the plugin guide writes down, of the kit, and of an author's path:
# the example plugin built from the installed SDK + kit alone, its VM cycle run by lia-testenv.
TESTKIT_TESTS = tests/core/gc-states.sh tests/core/dry-run.sh tests/core/leases.sh \
	tests/fc-driver/install-false.sh tests/testkit/testenv.sh tests/core/example-cycle.sh
TESTS += $(TESTKIT_TESTS)
EXTRA_DIST += $(TESTKIT_TESTS)
