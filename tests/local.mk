# Tests of the core; plugins add theirs in plugins/NAME/local.mk.  A plugin that configure
# left out (LIA_PLUGINS_OFF, "name=reason;" each) has its tests skipped by tests/lib.sh.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
# A failing check is a "not ok" line; the script's exit status would count it a second
# time (as an ERROR).  A script that dies early still shows: it never prints its plan.
AM_LOG_DRIVER_FLAGS = --ignore-exit
AM_SH_LOG_DRIVER_FLAGS = --ignore-exit
lia_empty :=
lia_space := $(lia_empty) $(lia_empty)
LIA_TEST_PLUGIN_PATH = $(subst $(lia_space),,$(PLUGIN_BUILD_DIRS:%=$(abs_top_builddir)/%:))
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	LIA_CORE='$(abs_top_builddir)/lia-core'; \
	LIA_PLUGIN_PATH='$(LIA_TEST_PLUGIN_PATH)$(abs_top_builddir)/tests/stubs/.libs'; \
	LIA_STUB_DIR='$(abs_top_builddir)/tests/stubs/.libs'; \
	LIA_PLUGINS_BUILT='$(LIA_PLUGINS_BUILT)'; LIA_PLUGINS_OFF='$(LIA_PLUGINS_OFF)'; \
	export top_srcdir top_builddir LIA_CORE LIA_PLUGIN_PATH LIA_STUB_DIR \
		LIA_PLUGINS_BUILT LIA_PLUGINS_OFF;
EXTRA_DIST += tests/lib.sh
include tests/download/local.mk
include tests/core.mk
include tests/testkit/local.mk

# `make bench`: the benchmarks, side by side against the naive way, medians and ratios.
# Not part of `make check` (machines here are noisy; speed is reported, not asserted).
BENCH_ENV = top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	LIA_CORE='$(abs_top_builddir)/lia-core' \
	LIA_PLUGIN_PATH='$(LIA_TEST_PLUGIN_PATH)$(abs_top_builddir)/tests/stubs/.libs'
# Each benchmark adds a row per goal to bench-summary.txt (tests/bench/lib-bench.sh);
# the table of every ratio with its goal comes last.
bench: all $(check_PROGRAMS)
	@: > bench-summary.txt; for b in $(abs_top_srcdir)/tests/bench/*-bench.sh; do \
		echo "== $$b"; env $(BENCH_ENV) BENCH_SUMMARY='$(abs_builddir)/bench-summary.txt' bash "$$b" || \
			echo "benchmark $$b failed"; \
	done; echo; echo "== summary (medians; load $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	bash -c '. $(abs_top_srcdir)/tests/bench/lib-bench.sh && bench_table bench-summary.txt'
.PHONY: bench

# `make check-under-load`: the whole suite once with a busy loop on every CPU
# (tools/under-load.sh), to show that no test depends on an idle machine.  Slow.
check-under-load: all
	$(SHELL) $(abs_top_srcdir)/tools/under-load.sh $(MAKE) $(AM_MAKEFLAGS) check
.PHONY: check-under-load
