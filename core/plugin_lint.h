/* `lia-core plugins --check`: every defect of a plugin that can be found without running
 * a hook.  Each is printed as "FILE: defect"; returns their count. */
#ifndef LIA_CORE_PLUGIN_LINT_H
#define LIA_CORE_PLUGIN_LINT_H
#include "loader.h"

int plugin_lint(const struct loaded_plugin *lp);
/* names of the defined, exported dynamic symbols of an ELF file, other than the linker's
 * own; NULL-terminated, free with free() each and the array; NULL when unreadable */
char **elf_exported_symbols(const char *file);

#endif
