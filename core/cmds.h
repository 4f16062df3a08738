/* One function per verb of the command line. */
#ifndef LIA_CORE_CMDS_H
#define LIA_CORE_CMDS_H
#include "app.h"

/* load configuration, state, plugins; 0 or an exit code */
int app_load(struct app *a);
void app_free(struct app *a);

int cmd_run(struct app *a, int argc, char **argv);
int cmd_plugins(struct app *a, int argc, char **argv);
int cmd_config(struct app *a, int argc, char **argv);
int cmd_vm(struct app *a, int argc, char **argv);
int cmd_gc(struct app *a, int argc, char **argv);

/* the VM pipelines, shared by vm and gc */
int vm_pipeline_stop(struct app *a, struct vm_record *r, int force);
int parse_phase_list(const char *pipeline, const char *list, enum lia_phase **out, size_t *n);

#endif
