/* fc-driver: pure helpers (ids, kernel command line, API bodies, fault text). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fc-args.h"

int fc_valid_instance_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-')
			return 0;
	return 1;
}

int fc_valid_resource_id(const char *id)
{
	if (!id || !*id)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

int fc_boot_args(char *out, size_t outlen, const struct lia_bootargs *a)
{
	int n = lia_boot_args(out, outlen, a);
	if (n < 0 || n > FC_CMDLINE_MAX - FC_CMDLINE_RESERVE)
		return -1;
	return n;
}

json_t *fc_body_logger(const char *log_path)
{
	/* level/show_* are all v1.6 fields; nothing newer */
	return json_pack("{s:s, s:s, s:b, s:b}", "log_path", log_path, "level", "Info", "show_level", 1,
			 "show_log_origin", 0);
}

json_t *fc_body_metrics(const char *metrics_path)
{
	return json_pack("{s:s}", "metrics_path", metrics_path);
}

json_t *fc_body_boot_source(const char *kernel, const char *initrd, const char *boot_args)
{
	json_t *o = json_pack("{s:s, s:s}", "kernel_image_path", kernel, "boot_args", boot_args);
	if (o && initrd && *initrd)
		json_object_set_new(o, "initrd_path", json_string(initrd));
	return o;
}

json_t *fc_body_machine(int64_t vcpus, int64_t mem_mib)
{
	/* a full PUT: v1.6 PATCH semantics differ, and omitted optionals reset to defaults */
	return json_pack("{s:I, s:I, s:b}", "vcpu_count", (json_int_t)vcpus, "mem_size_mib",
			 (json_int_t)mem_mib, "smt", 0);
}

json_t *fc_body_drive(const char *id, const char *path, int is_root)
{
	return json_pack("{s:s, s:s, s:b, s:b}", "drive_id", id, "path_on_host", path, "is_root_device",
			 is_root ? 1 : 0, "is_read_only", 0);
}

json_t *fc_body_net(const char *iface, const char *tap, const char *mac)
{
	json_t *o = json_pack("{s:s, s:s}", "iface_id", iface, "host_dev_name", tap);
	if (o && mac && *mac)
		json_object_set_new(o, "guest_mac", json_string(mac));
	return o;
}

json_t *fc_body_vsock(int64_t cid, const char *uds)
{
	/* no vsock_id: deprecated in v1.6 */
	return json_pack("{s:I, s:s}", "guest_cid", (json_int_t)cid, "uds_path", uds);
}

json_t *fc_body_action(const char *action)
{
	return json_pack("{s:s}", "action_type", action);
}

static void squash(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < outlen; i++) {
		char c = in[i];
		out[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

void fc_fault_text(const char *body, size_t len, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (!body || len == 0) {
		snprintf(out, outlen, "(no response body)");
		return;
	}
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *msg = NULL;
	if (j) {
		json_t *m = json_object_get(j, "fault_message");
		if (!json_is_string(m))
			m = json_object_get(j, "error");
		if (json_is_string(m))
			msg = json_string_value(m);
	}
	if (msg) {
		squash(msg, strlen(msg), out, outlen);
		json_decref(j);
		return;
	}
	json_decref(j);
	/* micro_http's { "error": "...\n..." } is not valid JSON: take the text between the
	 * quotes after the key by hand */
	const char *k = memmem(body, len, "\"error\"", 7);
	if (!k)
		k = memmem(body, len, "\"fault_message\"", 15);
	if (k) {
		const char *end = body + len;
		const char *q = memchr(k + 7, ':', (size_t)(end - (k + 7)));
		q = q ? memchr(q, '"', (size_t)(end - q)) : NULL;
		if (q) {
			q++;
			const char *e = end;
			while (e > q && e[-1] != '"')
				e--;
			if (e > q) {
				squash(q, (size_t)(e - 1 - q), out, outlen);
				return;
			}
		}
	}
	squash(body, len, out, outlen);
}

int fc_kernel_kind(const unsigned char *head, size_t len)
{
	if (len >= 4 && memcmp(head,
			       "\x7f"
			       "ELF",
			       4) == 0)
		return 1;
	if (len >= 0x206 && memcmp(head + 0x202, "HdrS", 4) == 0)
		return 2;
	return 0;
}
