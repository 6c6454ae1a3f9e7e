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

    def __init__(self, **opts):
        opts.setdefault("listen_host", "127.0.0.1")
        args = [HARNESS]
        for k, v in opts.items():
            args += ["--opt", "%s=%s" % (k, v)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
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
