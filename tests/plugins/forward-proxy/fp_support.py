"""Helpers for the proxy.forward integration tests: the harness process and raw clients."""
import os
import queue
import socket
import subprocess
import sys
import threading
import time

import sp_testnet  # noqa: F401  (tests import servers from it)

BUILD = os.environ.get("STEADYPROXY_BUILD_DIR", "")
HARNESS = os.path.join(BUILD, "bin", "forward_proxy_harness")


class Harness:
    """The real proxy.forward module in a harness process, driven over stdin/stdout."""

    def __init__(self, log_to=None, **opts):
        """`log_to`: a file path receiving the plugin's application log (stderr)."""
        opts.setdefault("listen_host", "127.0.0.1")
        # the test upstreams listen on 127.0.0.x (tests of the guard turn it back on)
        opts.setdefault("allow_internal_upstreams", "true")
        args = [HARNESS]
        for k, v in opts.items():
            args += ["--opt", "%s=%s" % (k, v)]
        err = open(log_to, "ab") if log_to else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=err, text=True, bufsize=1)
        if log_to:
            err.close()
        self.lines = queue.Queue()
        self.events = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self._next(20)
        if first != "READY":
            self.stop()
            raise RuntimeError("harness did not start: %r" % first)

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("EVENT "):
                self.events.append(line)
            else:
                self.lines.put(line)
        self.lines.put(None)

    def _next(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def cmd(self, line, timeout=15):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self._next(timeout)
        if reply is None:
            raise RuntimeError("no answer from harness to %r" % line)
        return reply

    def send(self, line):
        """Sends a command without waiting for its answer (read it with reply())."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def reply(self, timeout=15):
        return self._next(timeout)

    def errors(self, key):
        """EndpointStats.errorsByKind of one endpoint."""
        reply = self.cmd("errors %d" % key)
        return {k: int(v) for k, v in (item.split("=") for item in reply.split()[1:])}

    def reconfigure(self, **opts):
        """Plugin::reconfigure with the start options changed by these; returns the keys
        reported as needing a restart, or raises with the refusal."""
        reply = self.cmd("reconfigure " + " ".join("%s=%s" % kv for kv in opts.items()))
        if not reply.startswith("OK restart="):
            raise RuntimeError(reply)
        keys = reply[len("OK restart="):]
        return keys.split(",") if keys else []

    def endpoint(self, key, name, port, user, password, upstream, *extra):
        reply = self.cmd("endpoint %d %s %d %s %s %s %s" % (key, name, port, user or "-", password or "-",
                                                           upstream, " ".join(extra)))
        if reply != "OK":
            raise RuntimeError(reply)

    def upstream(self, key, url):
        reply = self.cmd("upstream %d %s" % (key, url))
        if reply != "OK":
            raise RuntimeError(reply)

    def stats(self):
        reply = self.cmd("stats")
        out = {}
        for item in reply.split()[1:]:
            k, a, t, bi, bo, e, l = item.split(":")
            out[int(k)] = dict(active=int(a), total=int(t), bytes_in=int(bi), bytes_out=int(bo), errors=int(e),
                               listening=l == "1")
        return out

    def wait_event(self, kind, timeout=5):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e.startswith("EVENT " + kind):
                    return e
            time.sleep(0.05)
        return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.kill()  # our own child, by its Popen handle (pid)
            self.proc.wait(5)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except Exception:
                pass


def url(up, user=None, password=None, scheme="http"):
    """An upstream URL for the harness, credentials percent-encoded."""
    from urllib.parse import quote
    auth = ""
    if user is not None:
        auth = quote(user, safe="") + ":" + quote(password or "", safe="") + "@"
    return "%s://%s%s:%d" % (scheme, auth, up.host, up.port)


def recv_until(sock, marker, limit=1 << 20, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            break
    return data


def recv_all(sock, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data


def read_response(sock, buf=b"", timeout=10):
    """Reads one HTTP response with a Content-Length (or none = close) body.
    Returns (status, headers dict lower-case, body, rest)."""
    sock.settimeout(timeout)
    while b"\r\n\r\n" not in buf:
        c = sock.recv(65536)
        if not c:
            raise ConnectionError("closed before a response head: %r" % buf)
        buf += c
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            c = sock.recv(65536)
            if not c:
                raise ConnectionError("closed inside a body")
            buf += c
        return status, headers, buf[:n], buf[n:]
    while True:
        c = sock.recv(65536)
        if not c:
            break
        buf += c
    return status, headers, buf, b""


def basic(user, password):
    import base64
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def socks5_connect(port, host, dst_port, user=None, password=None, prefix=b"", timeout=10):
    """Opens a SOCKS5 CONNECT through the proxy on `port` (after sending `prefix`, e.g. a
    PROXY protocol header). Returns (socket, reply code); the socket is open on success."""
    import struct
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    s.sendall(prefix + (b"\x05\x01\x02" if user is not None else b"\x05\x01\x00"))
    method = recv_exact(s, 2)
    if user is not None and method == b"\x05\x02":
        u, p = user.encode(), (password or "").encode()
        s.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
        if recv_exact(s, 2) != b"\x01\x00":
            return s, None
    elif method[1:2] == b"\xff":
        return s, None
    h = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(h)]) + h + struct.pack("!H", dst_port))
    reply = recv_exact(s, 10)
    return s, reply[1] if len(reply) > 1 else None


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        try:
            c = sock.recv(n - len(data))
        except ConnectionResetError:
            break
        if not c:
            break
        data += c
    return data


def http_get(port, url, headers=(), prefix=b"", timeout=10):
    """One GET through the proxy on `port` on a fresh connection (after `prefix`).
    Returns (status, headers, body), or (None, None, b"") when the connection closed first."""
    from urllib.parse import urlsplit
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        host = urlsplit(url).netloc
        extra = "".join("%s: %s\r\n" % h for h in headers)
        s.sendall(prefix + ("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n" % (url, host, extra)).encode())
        try:
            status, hdrs, body, _ = read_response(s, timeout=timeout)
        except (ConnectionError, socket.timeout):
            return None, None, b""
        return status, hdrs, body
    finally:
        s.close()
