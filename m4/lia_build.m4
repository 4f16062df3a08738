# lia_build.m4 - small build helpers of lia's configure.ac.

# LIA_NO_RM_CORE: call before AC_INIT.  configure removes crash dumps named `core` after
# each compiler test and in its exit trap (`rm -f core *.core ... && rm -f confdefs* ...`).
# In lia's tree `core` is the core's source and object folder, so each of those rm calls
# prints "rm: cannot remove 'core': Is a directory" and the trap's chain stops before
# confdefs.h is removed.  Drop the bare `core` operand from the macros that emit those
# calls (`*.core` and `core.conftest.*` stay); with another autoconf the patterns simply
# do not match and nothing changes.
AC_DEFUN([LIA_NO_RM_CORE],
[_LIA_NO_RM_CORE_IN([_AC_INIT_PREPARE])dnl
_LIA_NO_RM_CORE_IN([_AC_COMPILE_IFELSE])dnl
_LIA_NO_RM_CORE_IN([_AC_LINK_IFELSE])dnl
_LIA_NO_RM_CORE_IN([_AC_RUN_IFELSE])dnl
_LIA_NO_RM_CORE_IN([_AM_PROG_CC_C_O])dnl
])
m4_define([_LIA_NO_RM_CORE_IN],
[m4_ifdef([$1], [m4_define([$1],
  m4_bpatsubst(m4_dquote(m4_defn([$1])), [rm -f core ], [rm -f ]))])])
