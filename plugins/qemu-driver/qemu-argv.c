/* qemu-driver: the QEMU command line of a VM (pure helpers). */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-argv.h"

struct av {
	char **v;
	size_t n, cap;
	int oom;
};

__attribute__((format(printf, 2, 3))) static void push(struct av *a, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	if (a->oom)
		return;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0 ||
	    (a->n + 2 > a->cap && !(a->v = realloc(a->v, (a->cap = a->cap * 2 + 16) * sizeof(char *))))) {
		if (r >= 0)
			free(s);
		a->oom = 1;
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void qemu_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

char **qemu_argv(const struct qemu_spec *s)
{
	struct av a = { 0 };
	push(&a, "%s", s->binary);
	push(&a, "-name");
	push(&a, "%s", s->name);
	/* virtio-mmio devices like Firecracker; no option ROMs (the kernel is loaded by PVH) */
	push(&a, "-M");
	push(&a, "microvm,x-option-roms=off,rtc=on");
	push(&a, "-accel");
	if (s->kvm)
		push(&a, "kvm");
	else if (s->tb_size_mib > 0)
		/* the default cache grew one guest to 1.37 GB during boot */
		push(&a, "tcg,tb-size=%" PRId64, s->tb_size_mib);
	else
		push(&a, "tcg");
	if (s->kvm) {
		push(&a, "-cpu");
		push(&a, "host");
	}
	push(&a, "-smp");
	push(&a, "%" PRId64, s->vcpus);
	push(&a, "-m");
	push(&a, "%" PRId64, s->mem_mib);
	push(&a, "-nodefaults");
	push(&a, "-no-user-config");
	push(&a, "-display");
	push(&a, "none");
	/* a guest reboot ends QEMU, as with Firecracker (reboot=k on the command line) */
	push(&a, "-no-reboot");
	push(&a, "-kernel");
	push(&a, "%s", s->kernel);
	if (s->initrd && *s->initrd) {
		push(&a, "-initrd");
		push(&a, "%s", s->initrd);
	}
	push(&a, "-append");
	push(&a, "%s", s->cmdline);
	/* device order is the guest's order: root is vda, data vdb */
	push(&a, "-drive");
	push(&a, "id=root,file=%s,format=raw,if=none,discard=unmap", s->root);
	push(&a, "-device");
	push(&a, "virtio-blk-device,drive=root");
	if (s->data && *s->data) {
		push(&a, "-drive");
		push(&a, "id=data,file=%s,format=raw,if=none,discard=unmap", s->data);
		push(&a, "-device");
		push(&a, "virtio-blk-device,drive=data");
	}
	if (s->tap && *s->tap) {
		push(&a, "-netdev");
		push(&a, "tap,id=net0,ifname=%s,script=no,downscript=no", s->tap);
		push(&a, "-device");
		if (s->mac && *s->mac)
			push(&a, "virtio-net-device,netdev=net0,mac=%s", s->mac);
		else
			push(&a, "virtio-net-device,netdev=net0");
	}
	if (s->rng) {
		/* sshd starts about a second sooner with guest entropy */
		push(&a, "-object");
		push(&a, "rng-random,id=rng0,filename=/dev/urandom");
		push(&a, "-device");
		push(&a, "virtio-rng-device,rng=rng0");
	}
	if (s->vsock_cid > 2) {
		push(&a, "-device");
		push(&a, "vhost-vsock-device,guest-cid=%" PRId64, s->vsock_cid);
	}
	push(&a, "-chardev");
	push(&a, "file,id=console,path=%s,append=on", s->console);
	push(&a, "-serial");
	push(&a, "chardev:console");
	push(&a, "-qmp");
	push(&a, "unix:%s,server=on,wait=off", s->qmp);
	if (a.oom) {
		qemu_argv_free(a.v);
		return NULL;
	}
	return a.v;
}

int qemu_safe_value(const char *s)
{
	return s && !strpbrk(s, ",\n\r");
}

int qemu_safe_token(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.:-", s[i]))
			return 0;
	return 1;
}

uint64_t qemu_tsc_khz(const char *cpuinfo)
{
	for (const char *p = cpuinfo; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "cpu MHz", 7) != 0)
			continue;
		const char *c = strchr(p, ':');
		const char *nl = strchr(p, '\n');
		if (!c || (nl && c > nl))
			return 0;
		double mhz = strtod(c + 1, NULL);
		return mhz > 0 ? (uint64_t)(mhz * 1000.0 + 0.5) : 0;
	}
	return 0;
}

int qemu_base_cmdline(char *out, size_t outlen, const char *base, int kvm, uint64_t tsc_khz)
{
	int n;
	if (!kvm && tsc_khz)
		n = snprintf(out, outlen, "%s%sroot=/dev/vda rw tsc_early_khz=%" PRIu64 " tsc=reliable",
			     base ? base : "", base && *base ? " " : "", tsc_khz);
	else
		n = snprintf(out, outlen, "%s%sroot=/dev/vda rw", base ? base : "", base && *base ? " " : "");
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int qemu_qmp_command(char *out, size_t outlen, const char *execute)
{
	int n = snprintf(out, outlen, "{\"execute\": \"%s\"}\r\n", execute);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}
