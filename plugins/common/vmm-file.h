/* vmm-file - files the VMM drivers write under state_dir (console logs, Firecracker's log
 * and metrics).  Root writes them, so a link planted in their place must never redirect the
 * write: issue 10 #2. */
#ifndef LIA_VMM_FILE_H
#define LIA_VMM_FILE_H
#include <stddef.h>

/* Open path for writing as an empty regular file of its own: O_NOFOLLOW|O_CLOEXEC, and
 * whatever else sits at path (a symbolic link, a FIFO, a device, a file with other hard
 * links) is removed first - the entry, never what it points to - and *replaced set.
 * append adds O_APPEND.  Returns the fd, or -errno with the reason in err. */
int vmm_open_fresh(const char *path, int append, int *replaced, char *err, size_t errlen);

#endif
