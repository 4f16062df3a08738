/* Unit tests (TAP) of qemu-driver's pure helpers: the QEMU argv of a VM, the command line
 * additions under TCG, /proc/cpuinfo parsing, value checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootargs.h"
#include "qemu-argv.h"

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

static char *joined(char **argv)
{
	static char buf[8192];
	size_t o = 0;
	for (char **a = argv; *a; a++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "", *a);
	return buf;
}

int main(void)
{
	char buf[4096];
	struct qemu_spec s = {
		.binary = "/usr/bin/qemu-system-x86_64",
		.name = "v1",
		.kvm = 0,
		.tb_size_mib = 64,
		.vcpus = 1,
		.mem_mib = 512,
		.kernel = "/s/kernel/vmlinux",
		.initrd = "/s/kernel/initrd",
		.cmdline = "console=ttyS0 root=/dev/vda",
		.root = "/s/disks/v1.root.ext4",
		.data = "/s/disks/v1.data.ext4",
		.tap = "tap-v1",
		.mac = "06:00:ac:10:00:64",
		.vsock_cid = 0,
		.rng = 1,
		.console = "/s/logs/v1.console.log",
		.qmp = "/s/sockets/v1.qmp",
	};
	char **argv = qemu_argv(&s);
	ok(argv != NULL, "argv built");
	is(joined(argv),
	   "/usr/bin/qemu-system-x86_64 -name v1 -M microvm,x-option-roms=off,rtc=on -accel tcg,tb-size=64 "
	   "-smp 1 -m 512 -nodefaults -no-user-config -display none -no-reboot -kernel /s/kernel/vmlinux "
	   "-initrd /s/kernel/initrd -append console=ttyS0 root=/dev/vda "
	   "-drive id=root,file=/s/disks/v1.root.ext4,format=raw,if=none,discard=unmap -device virtio-blk-device,drive=root "
	   "-drive id=data,file=/s/disks/v1.data.ext4,format=raw,if=none,discard=unmap -device virtio-blk-device,drive=data "
	   "-netdev tap,id=net0,ifname=tap-v1,script=no,downscript=no -device virtio-net-device,netdev=net0,mac=06:00:ac:10:00:64 "
	   "-object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-device,rng=rng0 "
	   "-chardev file,id=console,path=/s/logs/v1.console.log,append=on -serial chardev:console "
	   "-qmp unix:/s/sockets/v1.qmp,server=on,wait=off",
	   "TCG argv: microvm, capped translation cache, root then data, TAP with MAC, rng, console, QMP");
	qemu_argv_free(argv);

	s.kvm = 1;
	s.initrd = "";
	s.data = NULL;
	s.tap = NULL;
	s.rng = 0;
	s.vsock_cid = 7;
	argv = qemu_argv(&s);
	const char *j = joined(argv);
	ok(strstr(j, "-accel kvm -cpu host ") != NULL, "KVM: -accel kvm -cpu host");
	ok(!strstr(j, "-initrd") && !strstr(j, "id=data") && !strstr(j, "-netdev") && !strstr(j, "rng"),
	   "no initrd, data disk, network or rng when not given");
	ok(strstr(j, "-device vhost-vsock-device,guest-cid=7") != NULL, "vhost-vsock device with the CID");
	qemu_argv_free(argv);

	is(qemu_tsc_khz("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu MHz\t\t: 2096.003\ncache size\t: 1\n")
		   ? "x"
		   : "",
	   "x", "cpu MHz found");
	ok(qemu_tsc_khz("cpu MHz\t\t: 2096.003\n") == 2096003, "2096.003 MHz -> 2096003 kHz");
	ok(qemu_tsc_khz("processor: 0\n") == 0, "no cpu MHz -> 0");

	qemu_base_cmdline(buf, sizeof(buf), "console=ttyS0", 0, 2096003);
	is(buf, "console=ttyS0 root=/dev/vda rw tsc_early_khz=2096003 tsc=reliable",
	   "TCG: root device, tsc_early_khz and tsc=reliable");
	qemu_base_cmdline(buf, sizeof(buf), "console=ttyS0", 1, 2096003);
	is(buf, "console=ttyS0 root=/dev/vda rw", "KVM: no TSC parameters");
	char small[8];
	ok(qemu_base_cmdline(small, sizeof(small), "console=ttyS0", 1, 0) < 0,
	   "too small a buffer is refused");

	struct lia_bootargs ba = {
		buf, "172.16.0.100", "16", "172.16.0.1", "ssh-ed25519 AAAA me@x\n", "x=1"
	};
	char line[4096];
	lia_boot_args(line, sizeof(line), &ba);
	is(line,
	   "console=ttyS0 root=/dev/vda rw lia.ip=172.16.0.100 lia.prefix=16 lia.gateway=172.16.0.1 "
	   "lia.ssh_key=ssh-ed25519%20AAAA%20me@x x=1",
	   "the shared command line: lia.ip, lia.prefix, lia.gateway, encoded key, extra");

	ok(qemu_safe_value("/s/a.ext4") && !qemu_safe_value("/s/a,b") && !qemu_safe_value("a\nb"),
	   "values with commas or newlines are refused");
	ok(qemu_safe_token("tap-v1") && qemu_safe_token("06:00:ac:10:00:64") && !qemu_safe_token("a b") &&
		   !qemu_safe_token("") && !qemu_safe_token("a,b"),
	   "TAP/MAC tokens");
	qemu_qmp_command(buf, sizeof(buf), "system_powerdown");
	is(buf, "{\"execute\": \"system_powerdown\"}\r\n", "QMP command line");

	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
