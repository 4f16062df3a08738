#include "config.h"
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf_check.h"
#include "plugin_lint.h"
#include "util.h"

char **elf_exported_symbols(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	const unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	char **out = NULL;
	const Elf64_Ehdr *eh = (const void *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		goto done;
	const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
	size_t n = 0;
	out = xcalloc(1, sizeof(char *));
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    str->sh_offset > size || str->sh_size > size - str->sh_offset)
			continue;
		const Elf64_Sym *sym = (const void *)(m + sh[i].sh_offset);
		size_t count = sh[i].sh_size / sizeof(Elf64_Sym);
		for (size_t k = 1; k < count; k++) {
			int bind = ELF64_ST_BIND(sym[k].st_info);
			if (sym[k].st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
			    sym[k].st_name >= str->sh_size)
				continue;
			const char *name = (const char *)m + str->sh_offset + sym[k].st_name;
			if (!memchr(name, 0, str->sh_size - sym[k].st_name))
				continue;
			static const char *linker[] = { "_init", "_fini",       "_edata",
							"_end",  "__bss_start", NULL };
			int skip = 0;
			for (int l = 0; linker[l]; l++)
				skip |= strcmp(linker[l], name) == 0;
			if (skip)
				continue;
			out = realloc(out, (n + 2) * sizeof(char *));
			if (!out)
				abort();
			out[n++] = xstrdup(name);
			out[n] = NULL;
		}
	}
done:
	munmap((void *)m, size);
	return out;
}

#define DEFECT(...)                                                                                      \
	(fprintf(stderr, "lia-core: %s: ", lp->file), fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), \
	 bad++)

int plugin_lint(const struct loaded_plugin *lp)
{
	const struct lia_plugin *d = lp->desc;
	int bad = 0;
	if (d->abi_minor != LIA_ABI_MINOR)
		fprintf(stderr, "lia-core: %s: note: built for ABI %u.%u; this lia-core speaks %d.%d\n",
			lp->file, d->abi_major, d->abi_minor, LIA_ABI_MAJOR, LIA_ABI_MINOR);
	if (lp->raw->size < sizeof(struct lia_plugin))
		fprintf(stderr,
			"lia-core: %s: note: descriptor of %u bytes (older minor); fields past it read as empty\n",
			lp->file, lp->raw->size);
	if (!d->version || !*d->version)
		DEFECT("no version string");
	if (!d->description || !*d->description)
		DEFECT("no description");
	if (d->provides && !*d->provides)
		DEFECT("an empty role (use NULL for no role)");
	if (!d->hooks && !d->vm_commands)
		DEFECT("no hooks and no vm commands: it can never run");

	/* only the descriptor may be exported */
	char **syms = elf_exported_symbols(lp->file);
	if (!syms) {
		DEFECT("cannot read its ELF symbol table");
	} else {
		for (char **s = syms; *s; s++) {
			const char *suffix = "lia_plugin";
			size_t n = strlen(*s), m = strlen(suffix);
			if (!(n >= m && strcmp(*s + n - m, suffix) == 0))
				DEFECT("exports '%s': only the descriptor may be exported (make it static, or link with -export-symbols-regex '_LTX_lia_plugin$$')",
				       *s);
			free(*s);
		}
		free(syms);
	}

	/* options */
	for (size_t i = 0; i < lp->noptions; i++) {
		const struct lia_option *o = &d->options[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->options[j].name, o->name) == 0)
				DEFECT("option '%s' is declared twice", o->name);
		if (strcmp(o->name, "enabled") == 0 || strcmp(o->name, "hooks") == 0)
			DEFECT("option '%s' has a name the core reserves", o->name);
		for (const char *c = o->name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
				DEFECT("option '%s': names are [a-z0-9_] (libconfig cannot spell others)",
				       o->name);
				break;
			}
		if (o->type < LIA_OPT_STRING || o->type > LIA_OPT_STRINGS)
			DEFECT("option '%s' has unknown type %u", o->name, o->type);
		if (o->kind > LIA_KIND_IFNAME)
			DEFECT("option '%s' has unknown string kind %u", o->name, o->kind);
		if (o->kind && o->type != LIA_OPT_STRING && o->type != LIA_OPT_STRINGS)
			DEFECT("option '%s' has a string kind but is not a string", o->name);
		if ((o->flags & LIA_OPT_RANGE) && (o->type != LIA_OPT_INT || o->min > o->max))
			DEFECT("option '%s' has a range that is not min <= max of an integer", o->name);
		if (o->kind == LIA_KIND_CHOICE && (!o->choices || !*o->choices))
			DEFECT("option '%s' is a choice without choices", o->name);
		const char *p = option_default_problem(o);
		if (p)
			DEFECT("option '%s': default \"%s\": %s", o->name,
			       o->default_value ? o->default_value : "(none)", p);
		if (!o->help || !*o->help)
			DEFECT("option '%s' has no help line", o->name);
	}
	/* hooks */
	for (size_t i = 0; i < lp->nhooks; i++) {
		const struct lia_hook *h = &d->hooks[i];
		if (!phase_known(h->phase))
			DEFECT("hook %zu is for unknown phase %u", i + 1, h->phase);
		for (size_t j = 0; j < i; j++)
			if (d->hooks[j].phase == h->phase)
				DEFECT("two hooks for phase '%s'", phase_name(h->phase));
		if (!h->run && !(h->phase >= LIA_PHASE_PREFLIGHT && h->phase <= LIA_PHASE_VERIFY && h->undo))
			DEFECT("hook for phase '%s' has no run()", phase_name(h->phase));
		if (!h->summary || !*h->summary)
			DEFECT("hook for phase '%s' has no summary (dry runs print it)",
			       phase_name(h->phase));
	}
	/* ABI 2.1: prepare() is called for the hooks of a start only */
	if (d->prepare) {
		int in_start = 0;
		for (size_t i = 0; i < lp->nhooks; i++)
			in_start |= pipeline_of_phase(d->hooks[i].phase) == &PIPE_START;
		if (!in_start)
			DEFECT("prepare() but no hook in the start pipeline (net-up, boot, started): it is never called");
	}
	for (size_t i = 0; i < lp->ncommands; i++) {
		const struct lia_command *c = &d->vm_commands[i];
		if (!c->run)
			DEFECT("vm command '%s' has no run()", c->name);
		static const char *core_verbs[] = {
			"create", "start", "stop", "destroy", "list", "show", NULL
		};
		for (int v = 0; core_verbs[v]; v++)
			if (strcmp(core_verbs[v], c->name) == 0)
				DEFECT("vm command '%s' is a verb of the core", c->name);
	}
	for (size_t i = 0; i < lp->nfacts; i++) {
		const struct lia_fact *f = &d->facts[i];
		int found = 0;
		for (size_t k = 0; k < lp->noptions; k++)
			found |= f->setting && strcmp(d->options[k].name, f->setting) == 0;
		if (!found)
			DEFECT("fact '%s' comes from setting '%s', which it does not declare", f->name,
			       f->setting ? f->setting : "(null)");
	}
	return bad;
}
