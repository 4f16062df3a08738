/* One function per verb of the command line. */
#ifndef LIA_CORE_CMDS_H
#define LIA_CORE_CMDS_H
#include "app.h"

/* load configuration, state, plugins; 0 or an exit code */
int app_load(struct app *a);
/* configuration and state only, no plugin: for commands that only read records */
int app_load_state(struct app *a);
void app_free(struct app *a);

int cmd_run(struct app *a, int argc, char **argv);
int cmd_plugins(struct app *a, int argc, char **argv);
int cmd_config(struct app *a, int argc, char **argv);
int cmd_vm(struct app *a, int argc, char **argv);
int cmd_gc(struct app *a, int argc, char **argv);

/* vm_view.c */
int vm_list(struct app *a);
int vm_show(struct app *a, const char *name);
int vm_plugin_cmd(struct app *a, int argc, char **argv);
json_t *vm_summary(struct vm_record *r);             /* name, state, net.ip, net.tap, vsock.cid, pid... */
json_t *vm_detail(struct vm_record *r);              /* the record, with the state a reader should believe */
json_t *vm_list_json(struct app *a);                 /* summaries of every record */
int cmd_serve(struct app *a, int argc, char **argv); /* serve.c */
int parse_phase_list(const char *pipeline, const char *list, lia_phase_t **out, size_t *n);

#endif
