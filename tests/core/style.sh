#!/bin/bash
# The C sources follow .clang-format (`clang-format -i FILE` fixes a file).
. "$(dirname "$0")/../lib.sh"
command -v clang-format >/dev/null || skip_all "clang-format is not installed (apt-get install clang-format)"
git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 || skip_all "not a git checkout: the file list comes from git"
cd "$top_srcdir" || bail "no source tree"
bad=0
while read -r f; do
	if ! clang-format --dry-run --Werror --style=file "$f" >/dev/null 2>&1; then
		diag "$f does not follow .clang-format (clang-format -i $f)"
		bad=$((bad + 1))
	fi
done < <(git ls-files '*.c' '*.h')
is "$bad" 0 "every C source and header follows .clang-format"
done_testing
