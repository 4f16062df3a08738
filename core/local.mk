# lia-core: the core program
bin_PROGRAMS += lia-core
# libcurl, libcrypto: headers only, dlopen-ed on first use (core/curl_dl.c, core/crypto_dl.c)
# everything but main.c: the unit tests link the same list
LIA_CORE_SOURCES = \
	core/app.c core/app.h core/cmds.h \
	core/cmd_host.c core/cmd_vm.c core/cmd_gc.c \
	core/conf.c core/conf.h core/loader.c core/loader.h \
	core/run.c core/run.h core/state.c core/state.h core/state_index.c core/state_index.h core/state_group.c \
	core/services.c core/services.h core/ctx.c core/svc_log.c core/progress.c \
	core/svc_config.c core/svc_record.c core/svc_memo.c core/svc_spawn.c core/svc_helpers.c core/svc_helpers.h \
	core/lifecycle.c core/lifecycle.h core/conf_check.c core/conf_check.h \
	core/vm_ops.c core/vm_ops.h core/vm_view.c core/cmd_plugins.c core/table.c core/table.h \
	core/plugin_lint.c core/plugin_lint.h core/util.c core/util.h \
	core/download.c core/download.h core/curl_dl.c core/curl_dl.h core/crypto_dl.c core/crypto_dl.h \
	core/safe_io.c core/safe_io.h core/state_dir_check.c core/state_dir_check.h core/hashq.c core/hashq.h core/sshkey.c core/sshkey.h core/elf_valid.c core/elf_valid.h \
	core/events.c core/events.h
# the API daemon is lia-core's alone (the unit tests do not link libmicrohttpd)
LIA_SERVE_SOURCES = core/serve.c core/serve.h core/serve_api.c core/serve_workers.c \
	core/serve_events.c core/serve_metrics.c core/serve_conns.c core/serve_notify.c \
	core/mhd_dl.c core/mhd_dl.h
lia_core_SOURCES = core/main.c $(LIA_CORE_SOURCES) $(LIA_SERVE_SOURCES)
lia_core_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGINDIR='"$(plugindir)"' -DSYSCONFDIR='"$(sysconfdir)"'
# libcurl and libcrypto are dlopen-ed on first use (core/curl_dl.c, core/crypto_dl.c),
# libmicrohttpd by `serve` alone (core/mhd_dl.c): headers only, none of them is linked
lia_core_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(MHD_CFLAGS)
lia_core_LDADD = $(LIBCONFIG_LIBS) $(JANSSON_LIBS) $(LTDL_LIBS) $(DL_LIBS) -lpthread
if STATIC_PLUGINS
lia_core_LDFLAGS = -static-libtool-libs $(PRELOAD_PLUGINS:%=-dlpreopen %)
lia_core_DEPENDENCIES = $(PRELOAD_PLUGINS)
lia_core_LDADD += $(PRELOAD_LIBS)
endif
