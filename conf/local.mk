# Configuration shipped with lia: the main file and one conf.d file per plugin.
liaconfdir = $(sysconfdir)/lia
liaconf_DATA = conf/lia.conf
liaconfddir = $(sysconfdir)/lia/conf.d
# liaconfd_DATA: each built plugin adds its own conf.d file in plugins/NAME/local.mk
liaexamplesdir = $(pkgdatadir)/examples
liaexamples_DATA = conf/conf.d/30-image-dir.conf.example conf/artifacts.manifest
EXTRA_DIST += $(liaconf_DATA) $(liaexamples_DATA)
