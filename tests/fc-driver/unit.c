/* Unit tests (TAP) of fc-driver's pure helpers: ids, the kernel command line with the
 * percent-encoded SSH key, the exact JSON bodies (nothing v1.6 would reject), fault text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc-args.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	if (!cond)
		failed++;
}

static void is(const char *got, const char *want, const char *what)
{
	ok(got && !strcmp(got, want), what);
	if (!got || strcmp(got, want))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want);
}

static void body_is(json_t *j, const char *want, const char *what)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is(s, want, what);
	free(s);
	json_decref(j);
}

int main(void)
{
	char buf[4096];

	ok(fc_valid_instance_id("vm-1"), "instance id with hyphen is valid");
	ok(!fc_valid_instance_id("vm_1"), "instance id with underscore is refused");
	ok(!fc_valid_instance_id(""), "empty instance id is refused");
	memset(buf, 'a', 65);
	buf[65] = 0;
	ok(!fc_valid_instance_id(buf), "65-character instance id is refused");
	buf[64] = 0;
	ok(fc_valid_instance_id(buf), "64-character instance id is valid");
	ok(fc_valid_resource_id("rootfs") && fc_valid_resource_id("eth_0"), "resource ids");
	ok(!fc_valid_resource_id("root-fs") && !fc_valid_resource_id(""),
	   "hyphenated/empty resource ids refused");

	lia_pct_encode("ssh-ed25519 AAAAC3Nz+/= user@host\n", buf, sizeof(buf));
	is(buf, "ssh-ed25519%20AAAAC3Nz+/=%20user@host", "ssh key: space encoded, trailing newline dropped");
	lia_pct_encode("a\"b'c;d%e\tf~", buf, sizeof(buf));
	is(buf, "a%22b%27c%3Bd%25e%09f%7E", "shell/quote/percent bytes encoded");
	lia_pct_encode("\xc3\xa9", buf, sizeof(buf));
	is(buf, "%C3%A9", "non-ASCII bytes encoded one by one");
	ok(lia_pct_encode("abcdef", buf, 4) < 0, "encode reports a short buffer");

	struct lia_bootargs ba = { "console=ttyS0 reboot=k panic=1 pci=off init=/sbin/init",
				   "172.16.0.100",
				   "24",
				   "172.16.0.1",
				   "ssh-ed25519 AAAA k",
				   "quiet" };
	fc_boot_args(buf, sizeof(buf), &ba);
	is(buf,
	   "console=ttyS0 reboot=k panic=1 pci=off init=/sbin/init lia.ip=172.16.0.100 "
	   "lia.prefix=24 lia.gateway=172.16.0.1 lia.ssh_key=ssh-ed25519%20AAAA%20k quiet",
	   "boot args with every lia key and extra");
	ba = (struct lia_bootargs){ "console=ttyS0", NULL, "16", "", NULL, "" };
	fc_boot_args(buf, sizeof(buf), &ba);
	is(buf, "console=ttyS0", "unset keys are left out (and a prefix without an address)");
	char big[2000];
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ba = (struct lia_bootargs){ "console=ttyS0", NULL, NULL, NULL, big, NULL };
	ok(fc_boot_args(buf, sizeof(buf), &ba) < 0, "a command line over Firecracker's limit is refused");

	body_is(fc_body_logger("/s/logs/a.fc.log"),
		"{\"level\":\"Info\",\"log_path\":\"/s/logs/a.fc.log\",\"show_level\":true,\"show_log_origin\":false}",
		"logger body");
	body_is(fc_body_metrics("/m"), "{\"metrics_path\":\"/m\"}", "metrics body");
	body_is(fc_body_boot_source("/k", NULL, "a b"),
		"{\"boot_args\":\"a b\",\"kernel_image_path\":\"/k\"}", "boot-source body");
	body_is(fc_body_boot_source("/k", "/i", "a"),
		"{\"boot_args\":\"a\",\"initrd_path\":\"/i\",\"kernel_image_path\":\"/k\"}",
		"boot-source body with an initrd");
	body_is(fc_body_machine(2, 256), "{\"mem_size_mib\":256,\"smt\":false,\"vcpu_count\":2}",
		"machine-config body (no huge_pages: v1.7 field)");
	body_is(fc_body_drive("rootfs", "/r", 1),
		"{\"drive_id\":\"rootfs\",\"is_read_only\":false,\"is_root_device\":true,\"path_on_host\":\"/r\"}",
		"root drive body");
	body_is(fc_body_net("eth0", "tap0", "06:00:AC:10:00:64"),
		"{\"guest_mac\":\"06:00:AC:10:00:64\",\"host_dev_name\":\"tap0\",\"iface_id\":\"eth0\"}",
		"network body (no mtu: v1.16 field)");
	body_is(fc_body_net("eth0", "tap0", NULL), "{\"host_dev_name\":\"tap0\",\"iface_id\":\"eth0\"}",
		"network body without MAC");
	body_is(fc_body_vsock(3, "/v.sock"), "{\"guest_cid\":3,\"uds_path\":\"/v.sock\"}",
		"vsock body without the deprecated vsock_id");
	body_is(fc_body_action("InstanceStart"), "{\"action_type\":\"InstanceStart\"}", "action body");

	const char *f1 =
		"{\"fault_message\":\"The requested operation is not supported after starting the microVM.\"}";
	fc_fault_text(f1, strlen(f1), buf, sizeof(buf));
	is(buf, "The requested operation is not supported after starting the microVM.",
	   "fault_message extracted");
	const char *f2 =
		"{ \"error\": \"Request payload with size 60000 is larger than the limit of 51200 allowed by server.\nAll previous unanswered requests will be dropped.\" }";
	fc_fault_text(f2, strlen(f2), buf, sizeof(buf));
	is(buf,
	   "Request payload with size 60000 is larger than the limit of 51200 allowed by server. All previous unanswered requests will be dropped.",
	   "micro_http error with a raw newline (invalid JSON) extracted");
	fc_fault_text("garbage\n", 8, buf, sizeof(buf));
	is(buf, "garbage", "raw body as a last resort");
	fc_fault_text(NULL, 0, buf, sizeof(buf));
	is(buf, "(no response body)", "empty body");

	unsigned char elf[8] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	ok(fc_kernel_kind(elf, sizeof(elf)) == 1, "ELF kernel recognised");
	unsigned char bz[0x210] = { 'M', 'Z' };
	memcpy(bz + 0x202, "HdrS", 4);
	ok(fc_kernel_kind(bz, sizeof(bz)) == 2, "bzImage recognised");
	ok(fc_kernel_kind((const unsigned char *)"junk", 4) == 0, "junk is neither");

	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
