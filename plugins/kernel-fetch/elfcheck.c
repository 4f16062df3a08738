/* Kernel format check: Firecracker 1.6 on x86_64 loads only an uncompressed ELF
 * vmlinux (linux_loader's Elf loader); a bzImage fails late, at InstanceStart, with
 * "Invalid Elf magic number".  We catch it at download time instead. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elfcheck.h"

#define BZ_HINT                                                                                        \
	"Firecracker 1.6 on x86_64 needs the uncompressed ELF vmlinux (build it with `make vmlinux`, " \
	"extract it with the kernel's scripts/extract-vmlinux, or point kernel-fetch's url at a vmlinux)"

static int looks_like_text(const unsigned char *b, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x09 || (b[i] > 0x0d && b[i] < 0x20) || b[i] == 0x7f)
			return 0;
	return 1;
}

int kf_check_vmlinux(const char *path, char *why, size_t len)
{
	unsigned char b[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "cannot be read: %s", strerror(errno));
		return -2;
	}
	n = pread(fd, b, sizeof b, 0);
	close(fd);
	if (n < 0) {
		snprintf(why, len, "cannot be read: %s", strerror(errno));
		return -2;
	}
	if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(b, ELFMAG, SELFMAG)) {
		Elf64_Ehdr eh;
		memcpy(&eh, b, sizeof eh);
		if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
			snprintf(why, len,
				 "is a 32-bit ELF file; Firecracker on x86_64 needs a 64-bit x86_64 vmlinux");
			return -1;
		}
		if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
			snprintf(why, len, "is an ELF file for another machine (e_machine %u), not x86_64",
				 (unsigned)eh.e_machine);
			return -1;
		}
		if (eh.e_type != ET_EXEC) {
			snprintf(why, len,
				 "is an x86_64 ELF file but not an executable kernel image (e_type %u)",
				 (unsigned)eh.e_type);
			return -1;
		}
		return 0;
	}
	if (n >= 0x206 && !memcmp(b + 0x202, "HdrS", 4)) {
		snprintf(why, len, "is a compressed bzImage (vmlinuz); " BZ_HINT);
		return -1;
	}
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		snprintf(why, len, "is gzip-compressed; " BZ_HINT);
		return -1;
	}
	if (looks_like_text(b, (size_t)n)) {
		snprintf(why, len, "is a text file (an error page?), not a kernel; " BZ_HINT);
		return -1;
	}
	if (n < (ssize_t)sizeof(Elf64_Ehdr)) {
		snprintf(why, len, "is too small to be a kernel (%zd bytes)", n);
		return -1;
	}
	snprintf(why, len, "is not an ELF file; " BZ_HINT);
	return -1;
}
