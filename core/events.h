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
/* A group commit's events in one append (issue 13): after events_hold(state_dir), the
 * events of that state_dir are kept in memory (events_append returns 0) until
 * events_release() writes them all with one lock, one open and one write, with
 * consecutive ids in the order they came.  0 or -errno (the caller warns). */
void events_hold(const char *state_dir);
int events_release(void);
/* the id of the last event written, 0 when none */
uint64_t events_last_id(const char *state_dir);

#endif
