#!/usr/bin/env python3
"""A small HTTP/1.1 file server with Range support, for lia's download tests.

Listens on 127.0.0.1 only, on a port the OS picks; writes the port to --port-file
(atomically, so a test can wait for the file).  Serves files under --root.

Knobs (each applies to GET of files; HEAD is answered plainly):
  --log FILE          one line per request: "GET /path range=bytes=N- status=206"
  --drop-after N      send only N body bytes, then close the connection
  --drop-count K      ... for the first K requests only (default: all)
  --stall-after N     send N body bytes, then stop sending (keep the socket open)
  --status CODE       answer every request with CODE (404, 500, ...)
  --status-count K    ... for the first K requests only (default: all)
  --no-ranges         ignore Range and never send Accept-Ranges (like http.server)
Paths starting with /redirect/ answer 302 to the rest of the path.
"""
import argparse
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
COUNT = {"drop": 0, "status": 0}


def log(line):
    if ARGS.log:
        with LOCK, open(ARGS.log, "a") as f:
            f.write(line + "\n")


def take(knob, limit):
    """True while knob has fired fewer than limit times (limit < 0: always)."""
    with LOCK:
        if limit >= 0 and COUNT[knob] >= limit:
            return False
        COUNT[knob] += 1
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, code):
        # logged once the headers are out, before any body (a stall never returns)
        log("%s %s range=%s status=%s" % (self.command, self.path, self.headers.get("Range") or "-", code))

    def answer(self, code, body=b"", headers=()):
        self.note(code)
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.serve(self.headers.get("Range"))

    def serve(self, rng):
        path = self.path.split("?", 1)[0]
        if path.startswith("/redirect/"):
            self.answer(302, headers=[("Location", path[len("/redirect"):])])
            return 302
        if ARGS.status and take("status", ARGS.status_count):
            self.answer(ARGS.status, b"forced error\n")
            return ARGS.status
        full = os.path.realpath(os.path.join(ARGS.root, path.lstrip("/")))
        if not full.startswith(os.path.realpath(ARGS.root) + os.sep) or not os.path.isfile(full):
            self.answer(404, b"not found\n")
            return 404
        size = os.path.getsize(full)
        start, end, code = 0, size - 1, 200
        if rng and not ARGS.no_ranges:
            try:
                unit, spec = rng.split("=", 1)
                a, b = spec.split(",")[0].split("-", 1)
                if unit.strip() != "bytes":
                    raise ValueError
                if a == "":
                    start = max(0, size - int(b))
                else:
                    start = int(a)
                    if b != "":
                        end = min(int(b), size - 1)
            except ValueError:
                start = 0
            else:
                if start >= size:
                    self.answer(416, headers=[("Content-Range", "bytes */%d" % size)])
                    return 416
                code = 206
        length = end - start + 1 if size else 0
        self.note(code)
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        if not ARGS.no_ranges:
            self.send_header("Accept-Ranges", "bytes")
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if self.command == "HEAD":
            return code
        limit = length
        drop = ARGS.drop_after is not None and take("drop", ARGS.drop_count)
        if drop:
            limit = min(limit, ARGS.drop_after)
        stall = ARGS.stall_after is not None
        if stall:
            limit = min(limit, ARGS.stall_after)
        self.wfile.flush()
        with open(full, "rb") as f:
            sent = 0
            sock = self.connection.fileno()
            while sent < limit:
                n = os.sendfile(sock, f.fileno(), start + sent, min(limit - sent, 1 << 22))
                if n <= 0:
                    break
                sent += n
        if stall:
            time.sleep(3600)
        if drop or stall:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        return code


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--drop-after", type=int)
    p.add_argument("--drop-count", type=int, default=-1)
    p.add_argument("--stall-after", type=int)
    p.add_argument("--status", type=int)
    p.add_argument("--status-count", type=int, default=-1)
    p.add_argument("--no-ranges", action="store_true")
    ARGS = p.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
