#ifndef LIA_CORE_STATE_DIR_CHECK_H
#define LIA_CORE_STATE_DIR_CHECK_H

/* 0 when state_dir and every folder in it belong to root (or to the user running lia-core)
 * and are not writable by group or others (or state_dir does not exist yet); else
 * EXIT_FAIL, after a line per bad folder naming what was found and the fix. */
int state_dir_check(const char *dir);

#endif
