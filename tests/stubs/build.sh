# tests/stubs/build.sh: compile stub plugins at test time (sourced by tests after lib.sh).
# stub_build DIR STEM NAME [PROVIDES] [EXTRA_CFLAGS...]: DIR/NAME.so from recorder.c
STUB_CC=${CC:-cc}
stub_build() {
	local dir=$1 stem=$2 name=$3 provides=${4:-}
	shift 3; [ $# -gt 0 ] && shift
	mkdir -p "$dir"
	local prov=()
	[ -n "$provides" ] && prov=(-DSTUB_PROVIDES="\"$provides\"")
	"$STUB_CC" -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC \
		-I"$top_srcdir/include" -DSTUB="$stem" -DSTUB_NAME="\"$name\"" "${prov[@]}" "$@" \
		-o "$dir/$name.so" "$top_srcdir/tests/stubs/recorder.c" -Wl,--no-undefined
}
