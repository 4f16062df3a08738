/* plugins/common/confine.c: act on a path taken from a VM record only when it lies in the
 * folder of state_dir it belongs to (issue 10 #2).  A record is a file an admin (or an
 * attacker who got to write one) may have edited: `disk.data = "/etc/shadow"` must not make
 * `vm destroy` or gc unlink that file.  Shared by the plugins that remove such paths. */
#ifndef LIA_PLUGINS_CONFINE_H
#define LIA_PLUGINS_CONFINE_H
#include <stddef.h>
#include <lia/plugin.h>

/* The value of the VM record's `key`, copied to out, when it names an entry of
 * state_dir/`folder` (or of a folder under it): an absolute path whose folder resolves,
 * links and all, inside state_dir/folder, and whose last component is a plain name (so an
 * unlink acts on that entry, even if it is a link).  0 then; -ENOENT (not recorded, out
 * = "") when the key is unset; otherwise -EPERM, recorded with a message naming the
 * record file, the key, its value and the folder. */
int lia_vm_path_in(struct lia_ctx *ctx, const char *key, const char *folder, char *out, size_t len);

#endif
