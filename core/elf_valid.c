/* elf_valid.c - see elf_valid.h.  Reads with pread, maps nothing. */
#include "config.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_valid.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif
#if __SIZEOF_POINTER__ == 8
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif

/* [off, off + len) inside a file of `size` bytes, without overflow */
static int inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static int check(int fd, uint64_t size, char *why, size_t whylen)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	int dynamic = 0;

	if (size < EI_NIDENT || pread(fd, &eh, EI_NIDENT, 0) != EI_NIDENT ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		snprintf(why, whylen, "not an ELF file");
		return -1;
	}
	if (eh.e_ident[EI_CLASS] != NATIVE_CLASS || eh.e_ident[EI_DATA] != NATIVE_DATA) {
		snprintf(why, whylen, "an ELF file of another class or byte order than this lia-core");
		return -1;
	}
	if (size < sizeof eh || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) {
		snprintf(why, whylen, "truncated: %llu bytes, shorter than the ELF header",
			 (unsigned long long)size);
		return -1;
	}
	if (eh.e_type != ET_DYN) {
		snprintf(why, whylen, "not a shared object (ELF type %u)", (unsigned)eh.e_type);
		return -1;
	}
	if (eh.e_phnum == 0 || eh.e_phentsize != sizeof ph) {
		snprintf(why, whylen, "damaged ELF header (%u program headers of %u bytes)",
			 (unsigned)eh.e_phnum, (unsigned)eh.e_phentsize);
		return -1;
	}
	if (!inside(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof ph, size)) {
		snprintf(why, whylen, "truncated: its program headers end past byte %llu",
			 (unsigned long long)size);
		return -1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) !=
		    (ssize_t)sizeof ph) {
			snprintf(why, whylen, "cannot read program header %u", i);
			return -1;
		}
		if (ph.p_type == PT_DYNAMIC)
			dynamic = 1;
		if (ph.p_filesz && !inside(ph.p_offset, ph.p_filesz, size)) {
			snprintf(why, whylen,
				 "truncated: %s segment (program header %u) ends at byte %llu of %llu",
				 ph.p_type == PT_LOAD      ? "a loadable"
				 : ph.p_type == PT_DYNAMIC ? "the dynamic"
							   : "a",
				 i, (unsigned long long)ph.p_offset + ph.p_filesz, (unsigned long long)size);
			return -1;
		}
		if (ph.p_type == PT_LOAD && ph.p_filesz > ph.p_memsz) {
			snprintf(why, whylen, "damaged: segment %u is larger in the file than in memory", i);
			return -1;
		}
	}
	if (!dynamic) {
		snprintf(why, whylen, "no dynamic segment (not a shared library)");
		return -1;
	}
	if (eh.e_shoff && !inside(eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize, size)) {
		snprintf(why, whylen, "truncated: its section headers end past byte %llu",
			 (unsigned long long)size);
		return -1;
	}
	return 0;
}

int elf_valid_file(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		close(fd);
		return -1;
	}
	r = check(fd, (uint64_t)st.st_size, why, whylen);
	close(fd);
	return r;
}
