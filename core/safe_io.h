/* Files under state_dir, opened so that a planted link or special file cannot make root
 * read, write or truncate something else: the last component is opened relative to its
 * folder's fd with O_NOFOLLOW | O_CLOEXEC, must be a regular file, and temp files are
 * created exclusively (issue 10 #2).  The folders on the way are the configured
 * state_dir's, which state_dir_check() found owned by root (or us) and not writable by
 * group or others. */
#ifndef LIA_CORE_SAFE_IO_H
#define LIA_CORE_SAFE_IO_H
#include <jansson.h>
#include <sys/types.h>

/* Write path atomically: PATH.tmp.PID created with O_EXCL (a stale one of a dead process
 * with our PID, or a link planted there, is removed first, never followed), written,
 * fsync-ed, renamed over path, and the folder fsync-ed.  0 or -errno; the temp file
 * never stays. */
int safe_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Load a JSON file that must be a regular file (no link, FIFO or device).  NULL with
 * *err = -ENOENT (no file), -EBADMSG (parse error: je says where) or another -errno
 * (je->text says what). */
json_t *safe_load_json(const char *path, json_error_t *je, int *err);

/* flock a lock file (created 0600 when missing, never through a link) and return its fd.
 * After locking, the file must still be the one at path (whoever removes a lock file
 * removes it while holding it); otherwise the new one is locked.  nb: LOCK_NB
 * (-EWOULDBLOCK when held).  -errno on failure; -EINVAL when path is not a regular file. */
int safe_lock(const char *path, int nb);

#endif
