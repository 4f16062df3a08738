/* Refuse a state_dir that someone else could change under root (issue 10 #2): a folder
 * another user owns, or that group or others may write, lets them plant links and records
 * that root then follows and trusts.  state_dir itself, every folder in it (vms, host,
 * volumes, sockets... whatever the plugins made) and every folder above it must belong to
 * root or to the user running lia-core, and must not be writable by group or others (above
 * state_dir, a sticky folder such as /tmp may be).  Each bad folder gets a line that
 * says what was found and the command that fixes it. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state_dir_check.h"
#include "util.h"

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	snprintf(buf, len, "%s", pw ? pw->pw_name : "no such user");
	return buf;
}

/* 1 when the folder (path; shown as `shown`, e.g. a link and its target) is unsafe.
 * above: a folder above state_dir, where a sticky folder (/tmp) is safe: nobody else may
 * rename or remove the entry that leads to state_dir there. */
static int unsafe_as(int above, const char *shown, const char *path, const struct stat *st)
{
	int bad = 0;
	char who[64];
	const char *what = above ? "folder above state_dir" : "state folder";
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		msg_err("unsafe %s %s: owned by uid %u (%s), not by root; fix: chown root:root %s", what,
			shown, (unsigned)st->st_uid, user_name(st->st_uid, who, sizeof who), path);
		bad = 1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(above && (st->st_mode & S_ISVTX))) {
		msg_err("unsafe %s %s: mode %04o lets %s write in it; fix: chmod go-w %s", what, shown,
			(unsigned)(st->st_mode & 07777),
			(st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group and others"
			: (st->st_mode & S_IWGRP)                          ? "its group"
									   : "others",
			path);
		bad = 1;
	}
	return bad;
}

static int unsafe(const char *shown, const char *path, const struct stat *st)
{
	return unsafe_as(0, shown, path, st);
}

/* every folder above state_dir, up to /: whoever may rename one of them can swap the
 * whole tree under root (OpenSSH's StrictModes walks up the same way) */
static int unsafe_above(const char *dir)
{
	char *real = realpath(dir, NULL);
	int bad = 0;
	if (!real)
		return 0;
	for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
		if (slash == real)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		struct stat st;
		if (stat(real, &st) == 0)
			bad += unsafe_as(1, real, real, &st);
		if (slash == real)
			break;
	}
	free(real);
	return bad;
}

int state_dir_check(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return 0; /* not made yet (setup's dirs phase makes it), or not ours to read */
	int bad = S_ISDIR(st.st_mode) ? unsafe(dir, dir, &st) + unsafe_above(dir) : 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			bad += unsafe(p, p, &st);
		} else if (S_ISLNK(st.st_mode) && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			/* a folder moved to another disk: what counts is the folder it leads to */
			char *target = realpath(p, NULL);
			char *shown = xasprintf("%s (a link to %s)", p, target ? target : "?");
			bad += unsafe(shown, target ? target : p, &st);
			free(shown);
			free(target);
		}
		free(p);
	}
	if (d)
		closedir(d);
	if (bad)
		msg_err("refusing to use state_dir %s: root would trust what others can change there", dir);
	return bad ? EXIT_FAIL : 0;
}
