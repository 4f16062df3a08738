# rootfs
