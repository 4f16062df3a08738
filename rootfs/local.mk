# rootfs: the overlay laid over every guest image by the image plugins (image-alpine,
# image-dir).  Installed as-is into $(pkgdatadir)/rootfs, the image plugins' default
# `overlay`; tests point LIA_ROOTFS_OVERLAY at this source folder instead.  Modes
# matter: the plugins keep them (init scripts 0755, the rest 0644), owners become root.
# This local.mk is the folder's build fragment: the plugins skip a top-level local.mk.
rootfs_sshdir = $(pkgdatadir)/rootfs/etc/ssh
dist_rootfs_ssh_DATA = rootfs/etc/ssh/sshd_config
rootfs_initdir = $(pkgdatadir)/rootfs/etc/init.d
dist_rootfs_init_SCRIPTS = rootfs/etc/init.d/lia-init rootfs/etc/init.d/agent-sidecar
