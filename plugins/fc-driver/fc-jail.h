/* fc-driver: jailer mode.  The jailer chroots firecracker into
 * <chroot_base>/<basename of the binary>/<id>/root, so every file the API names must be
 * inside that directory (hard-linked, or copied when that is safe) and the API paths are
 * chroot-relative. */
#ifndef LIA_FC_JAIL_H
#define LIA_FC_JAIL_H
#include <limits.h>
#include <lia/plugin.h>
#include <stddef.h>
#include <sys/types.h>

struct fc_jail {
	char dir[PATH_MAX];  /* <base>/<exec name>/<id>: removed after the VM ends */
	char root[PATH_MAX]; /* dir + "/root" */
	uid_t uid;
	gid_t gid;
};

/* Compute the paths; 0 or -ENAMETOOLONG. */
int fc_jail_init(struct fc_jail *j, const char *base, const char *binary, const char *id, uid_t uid,
		 gid_t gid);

/* Make root/name refer to src: a hard link, or a copy when copy_ok (read-only files such
 * as the kernel).  chowns it to uid:gid.  inside gets "/name".  0 or a negative errno
 * with err set. */
int fc_jail_place(struct lia_ctx *ctx, const struct fc_jail *j, const char *src, const char *name,
		  int copy_ok, char *inside, size_t insidelen, char *err, size_t errlen);

/* Remove dir recursively (it lies under base by construction).  0 or negative errno. */
int fc_jail_remove(const struct fc_jail *j);

#endif
