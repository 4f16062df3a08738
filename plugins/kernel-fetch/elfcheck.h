/* Is a file a kernel Firecracker 1.6 can boot on x86_64 (an uncompressed ELF vmlinux)? */
#ifndef LIA_KF_ELFCHECK_H
#define LIA_KF_ELFCHECK_H
#include <stddef.h>

/* 0 when PATH is an x86_64 ELF executable.  Otherwise -1 and WHY holds the end of a
 * sentence that starts with the file's name: "is a compressed bzImage (vmlinuz); ...".
 * -2 when the file cannot be read (WHY has the reason). */
int kf_check_vmlinux(const char *path, char *why, size_t len);

#endif
