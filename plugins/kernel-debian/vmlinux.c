/* kernel-debian: the uncompressed vmlinux inside a bzImage.  Debian's bzImage holds an
 * LZ4 (legacy frame) payload; gzip, xz, zstd, bzip2 and lzma are tried too.  libarchive's
 * "raw" format with every filter decompresses it; trailing bytes after the stream (the
 * bzImage's size field) end the stream, they are not an error. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeb.h"

static const struct {
	const char *name;
	const unsigned char magic[6];
	size_t len;
} magics[] = {
	{ "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4 },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6 },
	{ "gzip", { 0x1f, 0x8b, 0x08 }, 3 },
	{ "bzip2", { 'B', 'Z', 'h' }, 3 },
	{ "lzma", { 0x5d, 0x00, 0x00 }, 3 },
};

/* decompress from p; 0 and an ELF image, or -1 */
static int try_at(const unsigned char *p, size_t len, unsigned char **out, size_t *outlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	int ok = -1;
	if (!a)
		return -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, p, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK || archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE)
		goto out;
	for (;;) {
		if (cap - n < 1 << 20) {
			unsigned char *nb = realloc(buf, cap = cap ? cap * 2 : 64 << 20);
			if (!nb)
				goto out;
			buf = nb;
		}
		la_ssize_t r = archive_read_data(a, buf + n, cap - n);
		if (r < 0) {
			/* data after the end of the compressed stream: keep what came out */
			if (n >= 4 && !memcmp(buf, ELFMAG, SELFMAG))
				break;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		/* not a kernel after all (a false magic): stop at the first bytes */
		if (n >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG))
			goto out;
	}
	if (n >= sizeof(Elf64_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG)) {
		*out = buf;
		*outlen = n;
		buf = NULL;
		ok = 0;
	}
out:
	free(buf);
	archive_read_free(a);
	return ok;
}

int kdeb_extract_vmlinux(const unsigned char *bz, size_t len, unsigned char **out, size_t *outlen,
			 const char **method, char *err, size_t errlen)
{
	if (len >= SELFMAG && !memcmp(bz, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "it is already an uncompressed ELF vmlinux");
		return -EINVAL;
	}
	for (size_t m = 0; m < sizeof(magics) / sizeof(magics[0]); m++) {
		const unsigned char *p = bz;
		size_t left = len;
		while (left >= magics[m].len) {
			const unsigned char *hit = memmem(p, left, magics[m].magic, magics[m].len);
			if (!hit)
				break;
			if (try_at(hit, len - (size_t)(hit - bz), out, outlen) == 0) {
				*method = magics[m].name;
				return 0;
			}
			left = len - (size_t)(hit - bz) - 1;
			p = hit + 1;
		}
	}
	snprintf(err, errlen,
		 "no compressed ELF kernel found in it (tried lz4, zstd, xz, gzip, bzip2, lzma)");
	return -ENOEXEC;
}

static int elf_ok(const unsigned char *elf, size_t len)
{
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)elf;
	return len >= sizeof(*h) && !memcmp(elf, ELFMAG, SELFMAG) && elf[EI_CLASS] == ELFCLASS64 &&
	       elf[EI_DATA] == ELFDATA2LSB;
}

int kdeb_has_pvh_note(const unsigned char *elf, size_t len)
{
	if (!elf_ok(elf, len))
		return 0;
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)elf;
	for (unsigned i = 0; i < h->e_phnum; i++) {
		size_t off = h->e_phoff + (size_t)i * h->e_phentsize;
		if (off + sizeof(Elf64_Phdr) > len)
			return 0;
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + off);
		if (ph->p_type != PT_NOTE || ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
			continue;
		size_t p = ph->p_offset, end = ph->p_offset + ph->p_filesz;
		while (p + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)(elf + p);
			size_t name = p + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
			size_t next = desc + ((n->n_descsz + 3) & ~3u);
			if (next > end)
				break;
			if (n->n_namesz == 4 && !memcmp(elf + name, "Xen", 4) && n->n_type == 18)
				return 1;
			p = next;
		}
	}
	return 0;
}

int kdeb_elf_static(const unsigned char *elf, size_t len)
{
	if (!elf_ok(elf, len))
		return 0;
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)elf;
	for (unsigned i = 0; i < h->e_phnum; i++) {
		size_t off = h->e_phoff + (size_t)i * h->e_phentsize;
		if (off + sizeof(Elf64_Phdr) > len)
			return 0;
		if (((const Elf64_Phdr *)(elf + off))->p_type == PT_INTERP)
			return 0;
	}
	return 1;
}

const char *kdeb_modinfo_depends(const unsigned char *elf, size_t len, size_t *vlen)
{
	if (!elf_ok(elf, len))
		return NULL;
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)elf;
	if (h->e_shoff > len || h->e_shstrndx >= h->e_shnum ||
	    (size_t)h->e_shnum * sizeof(Elf64_Shdr) > len - h->e_shoff)
		return NULL;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + h->e_shoff);
	const Elf64_Shdr *strs = &sh[h->e_shstrndx];
	if (strs->sh_offset > len || strs->sh_size > len - strs->sh_offset)
		return NULL;
	for (unsigned i = 0; i < h->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size ||
		    strcmp((const char *)elf + strs->sh_offset + sh[i].sh_name, ".modinfo"))
			continue;
		if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset)
			return NULL;
		const char *p = (const char *)elf + sh[i].sh_offset, *end = p + sh[i].sh_size;
		while (p < end) {
			size_t l = strnlen(p, (size_t)(end - p));
			if (l >= 8 && !strncmp(p, "depends=", 8)) {
				*vlen = l - 8;
				return p + 8;
			}
			p += l + 1;
		}
		*vlen = 0;
		return "";
	}
	return NULL;
}
