/* tests/guest/guest.S - the tiny test guest "kernel" for real-Firecracker tests.
 *
 * Firecracker (x86_64, ELF vmlinux, Linux boot protocol) loads the PT_LOAD segments at
 * their physical addresses (>= 1 MiB; we link at 16 MiB like a Linux vmlinux) and enters
 * e_entry in 64-bit long mode: first 1 GiB identity-mapped, interrupts off, rsi = the
 * boot_params page.  We never touch memory outside our own image.
 *
 * What it does (GUEST_MODE chooses the variant, see local.mk):
 *   0 wait:  print "LIA-GUEST: up" on the serial port (0x3f8, Firecracker's stdout), poll
 *            the i8042 status port 0x64 bit 0 until a byte arrives (SendCtrlAltDel queues
 *            Ctrl, Alt, Del scancodes), read it from 0x60, print "LIA-GUEST: key,
 *            rebooting", then reset through the i8042 (0xfe to 0x64): Firecracker exits 0.
 *   1 nokbd: print "LIA-GUEST: up" and spin forever: only SIGKILL stops it.
 *   2 exit:  print "LIA-GUEST: up", "LIA-GUEST: resetting" and reset at once.
 * No hlt: with interrupts off Firecracker <= 1.14 treats a halt as a clean exit.
 */
#ifndef GUEST_MODE
#define GUEST_MODE 0
#endif

	.code64
	.text
	.globl _start
_start:
	cli
	lea	stack_top(%rip), %rsp

	/* make sure the i8042 may raise keyboard events: controller command 0x60 (write
	 * control byte) with KBD_INT | POST_OK */
	mov	$0x60, %al
	outb	%al, $0x64
	mov	$0x05, %al
	outb	%al, $0x60

	lea	msg_up(%rip), %rsi
	call	puts

#if GUEST_MODE == 1
1:	pause
	jmp	1b
#elif GUEST_MODE == 2
	lea	msg_reset(%rip), %rsi
	call	puts
	jmp	reset
#else
	/* drain whatever was queued before we looked */
0:	inb	$0x64, %al
	test	$1, %al
	jz	wait
	inb	$0x60, %al
	jmp	0b
wait:
	inb	$0x64, %al
	test	$1, %al
	jnz	got_key
	pause
	jmp	wait
got_key:
	inb	$0x60, %al
	lea	msg_key(%rip), %rsi
	call	puts
#endif

reset:
	mov	$0xfe, %al
	outb	%al, $0x64
	/* Firecracker stops the vCPU on the reset event; spin until it does */
1:	pause
	jmp	1b

/* puts: write the NUL-terminated string at rsi to COM1, waiting for THR empty */
puts:
	movb	(%rsi), %cl
	test	%cl, %cl
	jz	2f
	mov	$0x3fd, %dx
1:	inb	%dx, %al
	test	$0x20, %al
	jz	1b
	mov	$0x3f8, %dx
	mov	%cl, %al
	outb	%al, %dx
	inc	%rsi
	jmp	puts
2:	ret

	.section .rodata
msg_up:
	.asciz	"LIA-GUEST: up\r\n"
msg_key:
	.asciz	"LIA-GUEST: key, rebooting\r\n"
msg_reset:
	.asciz	"LIA-GUEST: resetting\r\n"

	.bss
	.balign	16
	.skip	4096
stack_top:

	.section .note.GNU-stack, "", @progbits
