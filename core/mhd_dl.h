/* libmicrohttpd, opened by `lia-core serve` (dlopen) instead of linked: every other lia-core
 * command serves nothing, and should not map it (issue 13).  The pattern of curl_dl.h:
 * one table of function pointers, resolved once; calls go through sym_MHD_*, and
 * <microhttpd.h> is used for its types and constants only. */
#ifndef LIA_CORE_MHD_DL_H
#define LIA_CORE_MHD_DL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

/* every libmicrohttpd function the core calls */
/* clang-format off */
#define LIA_MHD_FUNCS(X) \
	X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_quiesce_daemon) \
	X(MHD_queue_response) X(MHD_destroy_response) X(MHD_add_response_header) \
	X(MHD_create_response_from_buffer) X(MHD_create_response_from_callback) \
	X(MHD_lookup_connection_value) X(MHD_get_connection_info) X(MHD_set_connection_option)

#define LIA_MHD_DECLARE(f) extern typeof(f) *sym_##f;
LIA_MHD_FUNCS(LIA_MHD_DECLARE)
#undef LIA_MHD_DECLARE
/* clang-format on */

/* open libmicrohttpd and resolve every function, once per process: 0, or -ELIBACC with
 * the reason (library or symbol missing) in ERR */
int mhd_dl_open(char *err, size_t len);

#endif
