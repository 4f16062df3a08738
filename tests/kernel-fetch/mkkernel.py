#!/usr/bin/env python3
"""Write stand-in kernel files for the kernel-fetch tests.
   mkkernel.py elf|elf32|arm64|bzimage|text PATH [SEED]
elf: a 64-bit x86_64 ET_EXEC ELF header padded to 64 KiB (what a vmlinux starts like);
bzimage: "MZ" at 0 and "HdrS" at 0x202 (a vmlinuz); text: an HTML error page."""
import os
import struct
import sys


def elf(cls, machine, seed):
    ident = b"\x7fELF" + bytes([cls, 1, 1, 0]) + b"\0" * 8
    if cls == 2:
        hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x1000000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
    else:
        hdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, 0x100000, 52, 0, 0, 52, 32, 0, 40, 0, 0)
    body = (seed.encode() * 65536)[: 65536 - len(hdr)]
    return hdr + body


def main():
    kind, path = sys.argv[1], sys.argv[2]
    seed = sys.argv[3] if len(sys.argv) > 3 else "lia"
    if kind == "elf":
        data = elf(2, 62, seed)  # EM_X86_64
    elif kind == "elf32":
        data = elf(1, 3, seed)  # EM_386
    elif kind == "arm64":
        data = elf(2, 183, seed)  # EM_AARCH64
    elif kind == "bzimage":
        b = bytearray(os.urandom(65536))
        b[0:2] = b"MZ"
        b[0x202:0x206] = b"HdrS"
        data = bytes(b)
    elif kind == "text":
        data = b"<html><body><h1>404 Not Found</h1></body></html>\n"
    else:
        sys.exit("unknown kind " + kind)
    with open(path, "wb") as f:
        f.write(data)


main()
