# plugins/qemu-driver: the QEMU VMM driver (role "vmm"); configure: --disable-qemu-driver.
# For hosts where Firecracker cannot run (no /dev/kvm: TCG) or is not wanted.  The process
# helpers and the gc hook (plugins/common/vmm-proc.c, vmm-gc.c, vmm-file.c) and the kernel command line
# (plugins/common/bootargs.c) are shared with fc-driver, compiled into each.
QEMU_SH_TESTS = tests/qemu/driver.sh tests/qemu/e2e.sh tests/qemu/console-link.sh
# the shell tests are listed even when the plugin is not built: they skip, saying why
TESTS += $(QEMU_SH_TESTS)
EXTRA_DIST += $(QEMU_SH_TESTS) tests/qemu/lib-qemu.sh tests/bench/qemu-bench.sh

if BUILD_QEMU_DRIVER
plugin_LTLIBRARIES += plugins/qemu-driver/qemu-driver.la
plugins_qemu_driver_qemu_driver_la_SOURCES = \
	plugins/qemu-driver/qemu-driver.c \
	plugins/qemu-driver/qemu-argv.c plugins/qemu-driver/qemu-argv.h \
	plugins/qemu-driver/qmp.c plugins/qemu-driver/qmp.h \
	plugins/common/vmm-proc.c plugins/common/vmm-proc.h \
	plugins/common/vmm-gc.c plugins/common/vmm-gc.h \
	plugins/common/vmm-record.c plugins/common/vmm-record.h \
	plugins/common/vmm-file.c plugins/common/vmm-file.h \
	plugins/common/bootargs.c plugins/common/bootargs.h
plugins_qemu_driver_qemu_driver_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common $(JANSSON_CFLAGS)
plugins_qemu_driver_qemu_driver_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_qemu_driver_qemu_driver_la_LIBADD = $(JANSSON_LIBS)
PRELOAD_PLUGINS += plugins/qemu-driver/qemu-driver.la
PLUGIN_BUILD_DIRS += plugins/qemu-driver/.libs

check_PROGRAMS += tests/qemu/unit
tests_qemu_unit_SOURCES = tests/qemu/unit.c plugins/qemu-driver/qemu-argv.c \
	plugins/common/bootargs.c
tests_qemu_unit_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/qemu-driver -I$(top_srcdir)/plugins/common
TESTS += tests/qemu/unit
endif
