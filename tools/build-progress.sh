#!/bin/bash
# Summarize a build's output (automake's silent rules: "  CC  file.o", "  CCLD  x.la"):
# a line each EVERY compiled files with the count (of TOTAL when known) and the last file,
# every warning and error line as it comes, a last line with the count and the seconds.
# The whole output goes to LOG.
# Usage: make 2>&1 | tools/build-progress.sh LOG [TOTAL] [EVERY]
set -u
log=$1 total=${2:-0} every=${3:-10}
[ "$total" -gt 0 ] 2>/dev/null || total=0
[ "$every" -gt 0 ] 2>/dev/null || every=10
: >"$log"
n=0 linked=0 last="" start=$SECONDS
# the total is an estimate (a dry run): past it, only the count is shown
of() { [ "$total" -gt 0 ] && [ "$n" -le "$total" ] && printf ' of %d' "$total"; }
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$log"
	case $line in
	"  CC "* | "  CXX "*)
		n=$((n + 1))
		set -- $line
		last=${2:-}
		[ $((n % every)) -eq 0 ] && printf '      compiled %d%s files (%s)\n' "$n" "$(of)" "$last"
		;;
	"  CCLD "*) linked=$((linked + 1)) ;;
	*warning:* | *error:* | *Error\ * | *"***"* | *"undefined reference"*)
		printf '      %s\n' "$line" ;;
	esac
done
printf '      compiled %d files, linked %d in %ds (full output: %s)\n' "$n" "$linked" \
	$((SECONDS - start)) "$log"
