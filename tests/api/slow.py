#!/usr/bin/python3
"""Clients that misbehave, for tests/api/abuse.sh.
  slow.py slowloris SOCK SECONDS   send a request's headers one byte per 0.5 s; print
                                    "closed after N s" when the daemon hangs up
  slow.py many SOCK N              N connections at once, each GET /v1/vms; print the
                                    count of 200s, 503s, other statuses, and closed ones
  slow.py load SOCK CLIENTS SECONDS  create/start/stop/destroy cycles; print JSON stats
  slow.py early SOCK BYTES         POST a body of BYTES, reading while sending as real
                                    clients do: print the status line, whether the answer
                                    came before the body was all sent, and Connection
  slow.py flood SOCK N [SAVE]      N connections held open at once, then each sends
                                    GET /v1/vms: print the count of each status (or
                                    "closed") and the Retry-After values seen; the first
                                    503 is saved to SAVE (its head to SAVE.hdr)"""
import http.client, json, select, socket, sys, threading, time

def unix_conn(path, timeout=60):
    class C(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(path)
    return C("lia")

def slowloris(path, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    t0 = time.time()
    req = b"GET /healthz HTTP/1.1\r\nHost: lia\r\nX-Slow: " + b"a" * 1000
    try:
        for b in req:
            s.send(bytes([b]))
            time.sleep(0.5)
            if time.time() - t0 > seconds:
                break
        s.settimeout(seconds)
        data = s.recv(100)
        print("closed after %.0f s" % (time.time() - t0) if not data else "answered: %r" % data[:40])
    except (BrokenPipeError, ConnectionResetError):
        print("closed after %.0f s" % (time.time() - t0))

def many(path, n):
    res = {"200": 0, "503": 0, "other": 0, "closed": 0}
    lock = threading.Lock()
    socks = []
    for _ in range(n):  # all open at once, then all send
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        try:
            s.connect(path)
            socks.append(s)
        except OSError:
            res["closed"] += 1
    def one(s):
        try:
            s.sendall(b"GET /v1/vms HTTP/1.1\r\nHost: lia\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            k = "closed" if not data else data[9:12].decode() if data[9:12] in (b"200", b"503") else "other"
        except OSError:
            k = "closed"
        with lock:
            res[k] += 1
        s.close()
    ts = [threading.Thread(target=one, args=(s,)) for s in socks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps(res))

def load(path, clients, seconds):
    lat = {"create": [], "start": [], "stop": [], "destroy": []}
    fails = []
    lock = threading.Lock()
    stop_at = time.time() + seconds
    def call(c, m, p, body=None):
        t0 = time.time()
        c.request(m, p, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"} if body is not None else {})
        r = c.getresponse()
        data = r.read()
        return r.status, data, time.time() - t0
    def client(i):
        c = unix_conn(path, timeout=120)
        n = 0
        while time.time() < stop_at:
            name = "l%d-%d" % (i, n)
            n += 1
            for op, m, p, body, want in (("create", "POST", "/v1/vms", {"name": name}, 201),
                                         ("start", "POST", "/v1/vms/%s/start" % name, None, 200),
                                         ("stop", "POST", "/v1/vms/%s/stop" % name, None, 200),
                                         ("destroy", "DELETE", "/v1/vms/%s" % name, None, 204)):
                while True:
                    st, data, dt = call(c, m, p, body)
                    if st == 503:  # busy: the documented answer; retry after a pause
                        time.sleep(0.05)
                        continue
                    break
                with lock:
                    lat[op].append(dt)
                    if st != want:
                        fails.append("%s %s: %d %s" % (m, p, st, data[:200]))
    ts = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out = {"failures": fails[:10], "nfail": len(fails)}
    for op, v in lat.items():
        v.sort()
        out[op] = {"n": len(v), "p50_ms": round(1000 * v[len(v) // 2], 1) if v else None,
                   "p99_ms": round(1000 * v[min(len(v) - 1, int(len(v) * 0.99))], 1) if v else None}
    print(json.dumps(out))

def early(path, size):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(b"POST /v1/vms HTTP/1.1\r\nHost: lia\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % size)
    chunk, sent, data, before = b" " * 65536, 0, b"", False
    try:
        while sent < size:
            r, w, _ = select.select([s], [s], [], 30)
            if r:
                before = True
                break
            if w:
                sent += s.send(chunk[:min(len(chunk), size - sent)])
    except OSError as e:
        print("send failed: %s" % e)
    try:
        while b"\r\n\r\n" not in data:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError as e:
        print("recv failed: %s" % e)
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    conn = [h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("connection:")]
    print("%s | %s | connection: %s" % (head[0], "answered while sending" if before else "answered after the body",
                                       conn[0] if conn else "-"))

def flood(path, n, save=None):
    res, retry, saved = {}, set(), []
    lock = threading.Lock()
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        try:
            s.connect(path)
            socks.append(s)
        except OSError:
            res["closed"] = res.get("closed", 0) + 1
    time.sleep(1)  # every connection accepted and waiting before any request is sent
    def one(s):
        try:
            s.sendall(b"GET /v1/vms HTTP/1.1\r\nHost: lia\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            k = data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed"
            with lock:
                if k == "503" and save and not saved:
                    saved.append(1)
                    head, _, body = data.partition(b"\r\n\r\n")
                    open(save, "wb").write(body)
                    open(save + ".hdr", "wb").write(head + b"\r\n")
            for h in data.split(b"\r\n\r\n")[0].split(b"\r\n"):
                if h.lower().startswith(b"retry-after:"):
                    with lock:
                        retry.add(h.split(b":", 1)[1].strip().decode())
        except OSError:
            k = "closed"
        with lock:
            res[k] = res.get(k, 0) + 1
        s.close()
    ts = [threading.Thread(target=one, args=(s,)) for s in socks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    res["retry_after"] = sorted(retry)
    print(json.dumps(res))

if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "slowloris":
        slowloris(path, float(sys.argv[3]))
    elif mode == "many":
        many(path, int(sys.argv[3]))
    elif mode == "early":
        early(path, int(sys.argv[3]))
    elif mode == "flood":
        flood(path, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    elif mode == "load":
        load(path, int(sys.argv[3]), float(sys.argv[4]))
