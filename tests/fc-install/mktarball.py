#!/usr/bin/env python3
"""Build a stand-in Firecracker release tarball with the real layout
(release-V-x86_64/firecracker-V-x86_64, jailer-V-x86_64, ...), whose "binaries" are
tiny shell scripts printing a version, plus its .sha256.txt beside it.
   mktarball.py OUT.tgz VERSION [--reports V2] [--evil traversal|absolute|symlink|hardlink|
                 traversal-first] [--without jailer]"""
import argparse
import hashlib
import io
import os
import tarfile


def add(tf, name, data, mode=0o644, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("version")
    p.add_argument("--reports")
    p.add_argument("--evil")
    p.add_argument("--without")
    a = p.parse_args()
    v, rep = a.version, a.reports or a.version
    top = "release-%s-x86_64" % v
    with tarfile.open(a.out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
        if a.evil == "traversal-first":
            add(tf, "../../escape-first.txt", b"escaped\n")
        add(tf, top + "/", b"", 0o755, tarfile.DIRTYPE)
        for prog, word in (("firecracker", "Firecracker"), ("jailer", "Jailer")):
            if a.without == prog:
                continue
            script = ('#!/bin/sh\necho "%s %s"\n' % (word, rep)).encode()
            add(tf, "%s/%s-%s-x86_64" % (top, prog, v), script, 0o755)
            add(tf, "%s/%s-%s-x86_64.debug" % (top, prog, v), b"\0" * 64)
        add(tf, top + "/LICENSE", b"Apache-2.0\n")
        add(tf, "%s/seccomp-filter-%s-x86_64.json" % (top, v), b"{}\n")
        if a.evil == "traversal":
            add(tf, top + "/../../escape.txt", b"escaped\n")
        elif a.evil == "absolute":
            add(tf, "/tmp/lia-test-absolute-escape.txt", b"escaped\n")
        elif a.evil == "symlink":
            add(tf, top + "/evil-link", b"", 0o777, tarfile.SYMTYPE, "../../../etc/passwd")
        elif a.evil == "hardlink":
            add(tf, top + "/evil-hard", b"", 0o644, tarfile.LNKTYPE, "../../etc/passwd")
    with open(a.out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(a.out + ".sha256.txt", "w") as f:
        f.write("%s  %s\n" % (digest, os.path.basename(a.out)))


main()
