/* The event log: one JSON line per VM state change, appended under a lock by whichever
 * lia-core process saves the record (the CLI, gc, the API daemon's workers), so that the
 * daemon's event stream (GET /v1/events) sees every change, whoever made it.
 *   state_dir/events.log    {"id":N,"time":"...Z","name":"vm1","old":"created","new":"starting"}
 *   state_dir/events.log.1  the previous file: the log is rotated past EVENTS_ROTATE_BYTES,
 *                           so between one and two files' worth of events are retained */
#ifndef LIA_CORE_EVENTS_H
#define LIA_CORE_EVENTS_H
#include <stdint.h>

#define EVENTS_ROTATE_BYTES (1024 * 1024)

/* old: NULL for a new record; new: "deleted" when the record is removed.  0 or -errno
 * (the caller warns: a lost event must not fail the VM operation). */
int events_append(const char *state_dir, const char *name, const char *old_state, const char *new_state);
/* the id of the last event written, 0 when none */
uint64_t events_last_id(const char *state_dir);

#endif
