# Configuration shipped with lia: the main file and one conf.d file per plugin.
liaconfdir = $(sysconfdir)/lia
liaconf_DATA = conf/lia.conf
liaconfddir = $(sysconfdir)/lia/conf.d
liaconfd_DATA = conf/conf.d/10-host.conf conf/conf.d/20-kernel-fetch.conf \
	conf/conf.d/30-image-alpine.conf conf/conf.d/40-net-bridge.conf conf/conf.d/41-net-tap.conf \
	conf/conf.d/50-fc-driver.conf conf/conf.d/60-vsock.conf
liaexamplesdir = $(pkgdatadir)/examples
liaexamples_DATA = conf/conf.d/30-image-dir.conf.example conf/artifacts.manifest
EXTRA_DIST += $(liaconf_DATA) $(liaconfd_DATA) $(liaexamples_DATA)
