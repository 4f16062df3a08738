/* elf_valid - check a plugin file before dlopen.  dlopen maps the file's segments as
 * its program headers say; a truncated file then faults (SIGBUS) on the first touch of
 * a page past its end instead of failing.  This checks that the ELF header, every
 * program header, every segment's file bytes (the dynamic segment among them) and the
 * section header table lie inside the file. */
#ifndef LIA_CORE_ELF_VALID_H
#define LIA_CORE_ELF_VALID_H
#include <stddef.h>

/* 0 when path is a whole shared object of this machine's ELF class and byte order;
 * -1 with the reason in why ("truncated: program header 3 ends at byte 9000 of 8192") */
int elf_valid_file(const char *path, char *why, size_t whylen);

#endif
