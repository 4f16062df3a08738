# lia_plugin.m4 - per-plugin build switches and configure's closing summary, in the
# spirit of collectd's AC_PLUGIN.  Used from configure.ac:
#
#   LIA_LIB([VAR], [pkg-config modules], [Debian -dev packages])
#       Look for a library only plugins use; sets VAR_CFLAGS and VAR_LIBS when found.
#       A missing library is not an error here: the plugins that need it are left out.
#   LIA_PLUGIN([name], [VAR...])
#       --enable-NAME / --disable-NAME (default: auto) for plugins/NAME, which needs the
#       LIA_LIB libraries VAR... (libraries lia-core itself links need not be named).
#       auto and a missing library: the plugin is left out, with the reason in the
#       summary; --enable-NAME and a missing library: an error naming the -dev package.
#       Defines the automake conditional BUILD_NAME (NAME upper-cased, '-' as '_') and
#       the shell variable lia_built_NAME ('-' as '_'): yes or no.
#   LIA_SUMMARY_ITEM([label], [value])   one line of the summary's settings
#   LIA_SUMMARY                          print the summary (after AC_OUTPUT)
#
# Output variables: LIA_PLUGINS_BUILT (names), LIA_PLUGINS_OFF ("name=reason;" each),
# which the tests use to skip the tests of a plugin that was not built.

# LIA_LIB([VAR], [MODULES], [DEB-PACKAGES])
AC_DEFUN([LIA_LIB],
[AC_REQUIRE([PKG_PROG_PKG_CONFIG])dnl
m4_define([lia_lib_$1])dnl
PKG_CHECK_MODULES([$1], [$2], [lia_have_$1=yes], [lia_have_$1=no])
AS_IF([test "x$lia_have_$1" = xno], [
  lia_missing=
  for lia_m in $2; do
    $PKG_CONFIG --exists "$lia_m" 2>/dev/null || lia_missing="$lia_missing${lia_missing:+, }$lia_m"
  done
  lia_why_$1="pkg-config cannot find ${lia_missing:-$2} (apt-get install $3)"
])
])

# LIA_PLUGIN([NAME], [VAR...])
AC_DEFUN([LIA_PLUGIN],
[m4_foreach_w([lia_v], [$2], [m4_ifdef([lia_lib_]lia_v, [],
  [m4_fatal([LIA_PLUGIN($1): no LIA_LIB(]lia_v[) before it])])])dnl
AC_ARG_ENABLE([$1],
  [AS_HELP_STRING([--disable-$1], [do not build the $1 plugin]m4_ifval([$2], [ (needs $2)]))],
  [], [AS_TR_SH([enable_$1])=auto])
lia_want=$AS_TR_SH([enable_$1])
lia_ok=yes
lia_why=
AS_CASE([$lia_want],
  [no], [lia_ok=no; lia_why="disabled (--disable-$1)"],
  [yes|auto], [for lia_v in $2; do
      eval "lia_h=\$lia_have_$lia_v"
      AS_IF([test "x$lia_h" != xyes], [
        lia_ok=no
        eval "lia_w=\$lia_why_$lia_v"
        lia_why="$lia_why${lia_why:+; }$lia_w"])
    done],
  [AC_MSG_ERROR([--enable-$1=$lia_want: use yes, no or auto])])
AC_MSG_CHECKING([whether to build the $1 plugin])
AC_MSG_RESULT([$lia_ok${lia_why:+ ($lia_why)}])
AS_IF([test "x$lia_want$lia_ok" = xyesno],
  [AC_MSG_ERROR([--enable-$1: the $1 plugin cannot be built: $lia_why])])
AM_CONDITIONAL([BUILD_]m4_translit([$1], [-a-z], [_A-Z]), [test "x$lia_ok" = xyes])
AS_TR_SH([lia_built_$1])=$lia_ok
AS_IF([test "x$lia_ok" = xyes],
  [LIA_PLUGINS_BUILT="${LIA_PLUGINS_BUILT}${LIA_PLUGINS_BUILT:+ }$1"],
  [LIA_PLUGINS_OFF="${LIA_PLUGINS_OFF}$1=$lia_why;"])
lia_summary_plugins="${lia_summary_plugins}$(printf '    %-16s %s' '$1' "$lia_ok${lia_why:+  $lia_why}")
"
AC_SUBST([LIA_PLUGINS_BUILT])
AC_SUBST([LIA_PLUGINS_OFF])
])

# LIA_SUMMARY_ITEM([LABEL], [VALUE])
AC_DEFUN([LIA_SUMMARY_ITEM],
[lia_summary_items="${lia_summary_items}$(printf '  %-22s %s' '$1:' "$2")
"
])

# LIA_SUMMARY: after AC_OUTPUT, on the terminal and in config.log
AC_DEFUN([LIA_SUMMARY],
[lia_summary="
$PACKAGE_NAME $PACKAGE_VERSION is configured:
$lia_summary_items  plugins:
$lia_summary_plugins"
AS_ECHO(["$lia_summary"])
AS_ECHO(["$lia_summary"]) >&AS_MESSAGE_LOG_FD
])
