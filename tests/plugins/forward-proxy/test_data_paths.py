"""proxy.forward data paths with real clients: HTTP, CONNECT, SOCKS5, keep-alive, pipelining,
half-close, bytes behind CONNECT, upstream swaps, dead upstreams, no direct fallback."""
import base64
import hashlib
import json
import os
import socket
import struct
import subprocess
import threading
import time
import unittest
import urllib.request

from fp_support import Harness, basic, http_get, read_response, recv_all, recv_until, url
from sp_testnet import HttpProxy, Origin, Silent, Socks5Proxy, TcpEcho, expected_sha256, free_port

MIB10 = 10 * 1024 * 1024
UP_USER, UP_PASS = "us@er%40x", "p%a:s@s:"  # "@", ":" and "%" (no ":" in a Basic user-id, RFC 7617)


def curl(*args, timeout=60):
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args], capture_output=True, timeout=timeout + 10)


def socks5_connect(port, host, dport, user="u", password="pw", atyp=3):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x05\x01\x02")
    assert s.recv(2) == b"\x05\x02"
    s.sendall(b"\x01" + bytes([len(user)]) + user.encode() + bytes([len(password)]) + password.encode())
    assert s.recv(2) == b"\x01\x00"
    if atyp == 3:
        addr = b"\x03" + bytes([len(host)]) + host.encode()
    else:
        addr = b"\x01" + socket.inet_aton(host)
    s.sendall(b"\x05\x01\x00" + addr + struct.pack(">H", dport))
    reply = recv_until(s, b"", timeout=10) if False else s.recv(10)
    return s, reply


class WsOrigin:
    """A WebSocket origin on raw sockets: answers a handshake (Upgrade: websocket) with a 101
    and its Sec-WebSocket-Accept, sends b"server-first", then echoes bytes and answers EOF
    with b"<EOF>". Anything else gets 426, or with `rogue` a 101 all the same. `heads`: the
    request heads it received."""

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, rogue=False):
        self.rogue = rogue
        self.heads = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with c:
            c.settimeout(15)
            data = b""
            while b"\r\n\r\n" not in data:
                d = c.recv(65536)
                if not d:
                    return
                data += d
            head, _, rest = data.partition(b"\r\n\r\n")
            self.heads.append(head)
            fields = {}
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                fields[k.strip().lower()] = v.strip()
            if fields.get(b"upgrade", b"").lower() != b"websocket" and not self.rogue:
                c.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
                return
            key = fields.get(b"sec-websocket-key", b"")
            accept = base64.b64encode(hashlib.sha1(key + self.GUID).digest())
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\nserver-first")
            try:
                if rest:
                    c.sendall(rest)
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
                c.sendall(b"<EOF>")
                c.shutdown(socket.SHUT_WR)
                c.recv(1)
            except OSError:
                pass  # the proxy closed (the rogue case: it refused our 101)

    def stop(self):
        self.lsock.close()


class HalfCloseServer:
    """One connection. "answer": reads until EOF, then sends `payload`, closes. "sink":
    sends `payload` and shuts its write side at once, then reads (slowly at first, with a
    small receive buffer) until EOF. result() is what it read."""

    def __init__(self, mode, payload):
        self.mode, self.payload = mode, payload
        self.lsock = socket.socket()
        if mode == "sink":
            self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.got = bytearray()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.lsock.settimeout(30)
            c, _ = self.lsock.accept()
            c.settimeout(30)
            with c:
                if self.mode == "sink":
                    c.sendall(self.payload)
                    c.shutdown(socket.SHUT_WR)
                    time.sleep(1.5)  # the client has sent everything and closed by now
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    self.got += d
                if self.mode == "answer":
                    c.sendall(self.payload)
                    c.shutdown(socket.SHUT_WR)
                    c.settimeout(30)
                    c.recv(1)  # until the proxy closes
        except Exception as e:  # reported by result()
            self.error = e

    def result(self):
        self.thread.join(40)
        if self.error:
            raise self.error
        return bytes(self.got)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lsock.close()
        self.thread.join(40)


class DataPaths(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.echo = TcpEcho().start()
        cls.up_a = HttpProxy("127.0.0.2", username=UP_USER, password=UP_PASS).start()
        cls.up_b = HttpProxy("127.0.0.3").start()
        cls.up_s = Socks5Proxy("127.0.0.4", username=UP_USER, password=UP_PASS).start()
        cls.silent = Silent().start()
        cls.h = Harness(threads=2, connect_timeout_seconds=2)
        cls.ports = {}
        for key, up in ((1, url(cls.up_a, UP_USER, UP_PASS)), (2, url(cls.up_s, UP_USER, UP_PASS, "socks5")),
                        (3, "direct")):
            cls.ports[key] = free_port()
            cls.h.endpoint(key, "proxy%d" % key, cls.ports[key], "u", "pw", up)

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        for s in (cls.origin, cls.echo, cls.up_a, cls.up_b, cls.up_s, cls.silent):
            s.stop()

    def o(self, path):
        return "http://127.0.0.1:%d%s" % (self.origin.port, path)

    def proxy(self, key, scheme="http"):
        return "%s://u:pw@127.0.0.1:%d" % (scheme, self.ports[key])

    def new_endpoint(self, upstream, **kw):
        key = 100 + len(self.ports) + int(time.time() * 1000) % 1000
        while key in self.ports:
            key += 1
        self.ports[key] = free_port()
        self.h.endpoint(key, "proxy%d" % key, self.ports[key], "u", "pw", upstream)
        return key

    # -- whole bodies through every kind ------------------------------------------------
    def check_10mib(self, *args):
        r = curl(*args, self.o("/bytes?n=%d&seed=42" % MIB10))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), expected_sha256(MIB10, 42))

    def test_curl_http_10mib(self):
        self.check_10mib("-x", self.proxy(1))

    def test_curl_connect_10mib(self):
        self.check_10mib("--proxytunnel", "-x", self.proxy(1))

    def test_curl_socks5h_10mib_over_socks_upstream(self):
        self.check_10mib("-x", self.proxy(1, "socks5h"))
        self.check_10mib("-x", self.proxy(2, "socks5h"))

    def test_curl_http_over_socks_upstream_and_direct(self):
        self.check_10mib("-x", self.proxy(2))
        self.check_10mib("-x", self.proxy(3))

    def test_python_urllib_http_and_exit_ips(self):
        for key, ip in ((1, "127.0.0.2"), (2, "127.0.0.4"), (3, "127.0.0.1")):
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": self.proxy(key)}))
            with opener.open(self.o("/ip"), timeout=10) as r:
                self.assertEqual(json.loads(r.read())["ip"], ip)
            with opener.open(self.o("/chunked?n=300000&seed=5"), timeout=10) as r:
                self.assertEqual(hashlib.sha256(r.read()).hexdigest(), expected_sha256(300000, 5))

    def test_python_socks5_domain_sent_unresolved(self):
        s, reply = socks5_connect(self.ports[2], "localhost", self.origin.port)
        self.assertEqual(reply[:2], b"\x05\x00")
        s.sendall(b"GET /bytes?n=%d&seed=9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % MIB10)
        status, _, body, _ = read_response(s)
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), expected_sha256(MIB10, 9))
        self.assertIn((3, "localhost", self.origin.port), self.up_s.targets)
        s.close()

    # -- keep-alive and pipelining -----------------------------------------------------
    def test_keepalive_and_pipelining(self):
        for key in (1, 2, 3):
            s = socket.create_connection(("127.0.0.1", self.ports[key]), timeout=10)
            auth = basic("u", "pw")
            reqs = (
                "GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/bytes?n=1000&seed=1"), auth)
                + "POST %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\nContent-Length: 5\r\n\r\nhello" % (self.o("/echo"), auth)
                + "POST %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n" % (self.o("/echo"), auth)
                + "HEAD %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/bytes?n=77"), auth)
                + "GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/status?code=204"), auth)
                + "GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/status?code=304"), auth)
                + "GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/chunked?n=50000&seed=3"), auth)
                + "GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/ip"), auth)
            ).encode()
            s.sendall(reqs)
            st, hd, body, rest = read_response(s)
            self.assertEqual((st, hashlib.sha256(body).hexdigest()), (200, expected_sha256(1000, 1)))
            st, hd, body, rest = read_response(s, rest)
            self.assertEqual((st, body), (200, b"hello"))
            st, hd, body, rest = read_response(s, rest)
            self.assertEqual((st, body), (200, b"abcde"))
            # HEAD: Content-Length announced, no body follows
            buf = rest
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, _, rest = buf.partition(b"\r\n\r\n")
            self.assertIn(b"Content-Length: 77", head)
            for code in (204, 304):
                while b"\r\n\r\n" not in rest:
                    rest += s.recv(65536)
                head, _, rest = rest.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 %d" % code), head)
            # chunked response relayed as chunked
            while b"0\r\n\r\n" not in rest:
                c = s.recv(65536)
                self.assertTrue(c)
                rest += c
            self.assertIn(b"Transfer-Encoding: chunked", rest)
            rest = rest[rest.index(b"0\r\n\r\n") + 5:]
            st, hd, body, rest = read_response(s, rest)
            self.assertEqual(st, 200)
            self.assertIn("ip", json.loads(body))
            # a close-delimited response ends the client connection after the body
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/close?n=20000&seed=2"), auth)).encode())
            data = recv_all(s)
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(b"Connection: close", head)
            self.assertEqual(hashlib.sha256(body).hexdigest(), expected_sha256(20000, 2))
            s.close()

    def test_hop_by_hop_and_identity_headers_stripped(self):
        for key in (3,):  # direct: the origin sees exactly what the proxy sends
            s = socket.create_connection(("127.0.0.1", self.ports[key]), timeout=10)
            s.sendall(("GET %s HTTP/1.1\r\nHost: wrong.example\r\nProxy-Authorization: %s\r\nProxy-Connection: keep-alive\r\n"
                       "Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\n"
                       "X-Kept: yes\r\n\r\n" % (self.o("/headers"), basic("u", "pw"))).encode())
            st, _, body, _ = read_response(s)
            self.assertEqual(st, 200)
            seen = json.loads(body)
            for name in ("proxy-authorization", "proxy-connection", "connection", "x-secret", "keep-alive", "te",
                         "upgrade", "x-forwarded-for", "forwarded", "via"):
                self.assertNotIn(name, seen)
            self.assertEqual(seen["x-kept"], "yes")
            self.assertEqual(seen["host"], "127.0.0.1:%d" % self.origin.port)
            s.close()
        # through an HTTP upstream the client's credentials never reach it; ours do
        key = self.new_endpoint(url(self.up_b))
        r = curl("-x", self.proxy(key), "-H", "X-Kept: 1", self.o("/headers"))
        seen = json.loads(r.stdout)
        self.assertNotIn("proxy-authorization", seen)
        last = self.up_b.requests[-1]
        self.assertFalse([k for k, v in last["headers"] if k.lower() == "proxy-authorization"])
        self.assertEqual(self.up_a.requests and True, True)

    # -- tunnels --------------------------------------------------------------------------
    def connect_tunnel(self, key, host, port, extra=b""):
        s = socket.create_connection(("127.0.0.1", self.ports[key]), timeout=10)
        s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\nProxy-Authorization: %s\r\n\r\n"
                  % (host.encode(), port, host.encode(), port, basic("u", "pw").encode()) + extra)
        return s

    def test_half_close_through_tunnels(self):
        for key in (1, 2, 3):
            s = self.connect_tunnel(key, "127.0.0.1", self.echo.port)
            head = recv_until(s, b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            rest = head.partition(b"\r\n\r\n")[2]
            s.sendall(b"hello")
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(rest + recv_all(s), b"hello<EOF>")
            s.close()
        # SOCKS5 too
        s, reply = socks5_connect(self.ports[1], "127.0.0.1", self.echo.port, atyp=1)
        self.assertEqual(reply[:2], b"\x05\x00")
        s.sendall(b"x" * 100000)
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(recv_all(s), b"x" * 100000 + b"<EOF>")

    def test_websocket_upgrade_over_plain_http(self):
        ws = WsOrigin()
        try:
            for key in (1, 2, 3):
                s = socket.create_connection(("127.0.0.1", self.ports[key]), timeout=15)
                wskey = base64.b64encode(os.urandom(16))
                s.sendall(b"GET http://127.0.0.1:%d/chat?room=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                          b"Proxy-Authorization: %s\r\n\r\nearly-frame"
                          % (ws.port, ws.port, wskey, basic("u", "pw").encode()))
                head = recv_until(s, b"server-first")
                status, _, rest = head.partition(b"\r\n\r\n")
                lines = status.split(b"\r\n")
                self.assertTrue(lines[0].startswith(b"HTTP/1.1 101"), (key, lines[0]))
                fields = {l.split(b":")[0].lower(): l.split(b":", 1)[1].strip() for l in lines[1:]}
                self.assertEqual(fields.get(b"upgrade"), b"websocket")
                self.assertEqual(fields.get(b"connection"), b"Upgrade")
                self.assertEqual(fields.get(b"sec-websocket-accept"),
                                 base64.b64encode(hashlib.sha1(wskey + WsOrigin.GUID).digest()))
                self.assertTrue(rest.startswith(b"server-first"), rest)
                s.sendall(b"m" * 100000)
                s.shutdown(socket.SHUT_WR)
                self.assertEqual(rest + recv_all(s), b"server-first" + b"early-frame" + b"m" * 100000 + b"<EOF>", "key %d" % key)
                s.close()
                origin_head = ws.heads[-1]
                self.assertTrue(origin_head.startswith(b"GET /chat?room=1 HTTP/1.1\r\n"), origin_head[:60])
                self.assertNotIn(b"proxy-authorization", origin_head.lower())
            # no "upgrade" in Connection: Upgrade is a hop-by-hop header like any other
            st, _, _ = http_get(self.ports[3], "http://127.0.0.1:%d/x" % ws.port,
                                headers=(("Upgrade", "websocket"), ("Proxy-Authorization", basic("u", "pw"))))
            self.assertEqual(st, 426)
            self.assertNotIn(b"upgrade", ws.heads[-1].lower())
        finally:
            ws.stop()
        rogue = WsOrigin(rogue=True)
        try:
            st, _, body = http_get(self.ports[3], "http://127.0.0.1:%d/x" % rogue.port,
                                   headers=(("Proxy-Authorization", basic("u", "pw")),))
            self.assertEqual(st, 502, "a 101 nobody asked for")
            self.assertIn(b"switched protocols", body)
        finally:
            rogue.stop()

    def test_half_close_under_backpressure_loses_nothing(self):
        """The side that has already closed both ways (so its socket reports a hang-up) still
        has bytes queued for a reader that is slow: all of them arrive, in both directions."""
        blob = os.urandom(16 * 1024 * 1024)
        want = hashlib.sha256(blob).hexdigest()
        for key in (1, 3):
            # upstream answers after the client's EOF, then closes; the client reads late
            with HalfCloseServer("answer", blob) as srv:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
                s.settimeout(30)
                s.connect(("127.0.0.1", self.ports[key]))
                s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\nquestion"
                          % (srv.port, basic("u", "pw").encode()))
                s.shutdown(socket.SHUT_WR)
                time.sleep(1.5)  # the upstream has sent everything and closed by now
                data = recv_all(s, timeout=30)
                s.close()
                head, _, body = data.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:100])
                self.assertEqual((len(body), hashlib.sha256(body).hexdigest()), (len(blob), want), "key %d" % key)
                self.assertEqual(srv.result(), b"question")
            # upstream closes first and reads slowly; the client sends everything and closes
            with HalfCloseServer("sink", b"bye") as srv:
                s = self.connect_tunnel(key, "127.0.0.1", srv.port)
                s.settimeout(30)
                self.assertTrue(recv_until(s, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
                s.sendall(blob)
                s.shutdown(socket.SHUT_WR)
                recv_all(s, timeout=30)
                s.close()
                got = srv.result()
                self.assertEqual((len(got), hashlib.sha256(got).hexdigest()), (len(blob), want), "key %d" % key)

    def test_bytes_right_behind_connect_are_kept(self):
        payload = bytes(range(256)) * 64
        for key in (1, 2, 3):
            s = self.connect_tunnel(key, "127.0.0.1", self.echo.port, extra=payload)
            s.shutdown(socket.SHUT_WR)
            data = recv_all(s)
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertEqual(body, payload + b"<EOF>")
            s.close()

    def test_upstream_killed_mid_tunnel(self):
        dying = HttpProxy("127.0.0.5").start()
        try:
            key = self.new_endpoint(url(dying))
            s = self.connect_tunnel(key, "127.0.0.1", self.echo.port)
            self.assertTrue(recv_until(s, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
            s.sendall(b"ping")
            self.assertEqual(recv_until(s, b"ping"), b"ping")
            dying.stop()
            t0 = time.time()
            rest = recv_all(s, timeout=10)
            self.assertLess(time.time() - t0, 8, "client not told that the upstream died")
            self.assertEqual(rest, b"")
            s.close()
        finally:
            dying.stop()

    # -- rotation -----------------------------------------------------------------------
    def test_swap_during_long_download(self):
        key = self.new_endpoint(url(self.up_a, UP_USER, UP_PASS))
        s = socket.create_connection(("127.0.0.1", self.ports[key]), timeout=15)
        auth = basic("u", "pw")
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/slow?ms=2000&n=200000"), auth)).encode())
        # an open tunnel on the old upstream
        t = self.connect_tunnel(key, "127.0.0.1", self.origin.port)
        self.assertTrue(recv_until(t, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
        time.sleep(0.5)
        self.h.upstream(key, url(self.up_b))
        st, _, body, rest = read_response(s, timeout=15)
        self.assertEqual((st, len(body)), (200, 200000))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.o("/ip"), auth)).encode())
        st, _, body, _ = read_response(s, rest)
        self.assertEqual(json.loads(body)["ip"], "127.0.0.3", "next request on the keep-alive connection")
        r = curl("-x", self.proxy(key), self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.3", "new connection")
        t.sendall(b"GET /ip HTTP/1.1\r\nHost: x\r\n\r\n")
        st, _, body, _ = read_response(t)
        self.assertEqual(json.loads(body)["ip"], "127.0.0.2", "the open tunnel keeps its upstream")
        s.close()
        t.close()

    def test_swap_never_refuses_connections(self):
        key = self.new_endpoint(url(self.up_a, UP_USER, UP_PASS))
        errors = []
        stop = threading.Event()

        def swapper():
            i = 0
            while not stop.is_set() and i < 200:
                self.h.upstream(key, url(self.up_b) if i % 2 else url(self.up_a, UP_USER, UP_PASS))
                i += 1
        th = threading.Thread(target=swapper)
        th.start()
        try:
            for _ in range(40):
                r = curl("-x", self.proxy(key), self.o("/ip"), timeout=10)
                if r.returncode != 0 or json.loads(r.stdout)["ip"] not in ("127.0.0.2", "127.0.0.3"):
                    errors.append(r)
        finally:
            stop.set()
            th.join(30)
        self.assertEqual(errors, [])

    # -- failures -----------------------------------------------------------------------
    def test_no_direct_fallback_when_upstream_is_down(self):
        dead = free_port()
        key = self.new_endpoint("http://127.0.0.1:%d" % dead)
        before = list(self.origin.peers)
        r = curl("-x", self.proxy(key), "-i", self.o("/ip"))
        self.assertIn(b"HTTP/1.1 502", r.stdout)
        self.assertIn(b"refused", r.stdout)
        r = curl("-p", "-x", self.proxy(key), self.o("/ip"))
        self.assertNotEqual(r.returncode, 0)
        s, reply = socks5_connect(self.ports[key], "127.0.0.1", self.origin.port, atyp=1)
        self.assertEqual(reply[1], 0x05)
        s.close()
        self.assertEqual(self.origin.peers, before, "the origin was reached although the upstream is down")
        self.assertIsNotNone(self.h.wait_event("upstream.failure %d" % key))

    def test_null_upstream_and_socks_down(self):
        key = self.new_endpoint("none")
        r = curl("-x", self.proxy(key), "-i", self.o("/ip"))
        self.assertIn(b"502", r.stdout.split(b"\r\n")[0])
        self.assertIn(b"no upstream yet", r.stdout)
        s, reply = socks5_connect(self.ports[key], "127.0.0.1", self.origin.port, atyp=1)
        self.assertEqual(reply[1], 0x01)

    def test_upstream_at_an_internal_address_is_refused_by_default(self):
        """SSRF guard: an upstream (from a provider's answer) at a loopback or link-local
        address is never connected to unless allow_internal_upstreams is set; direct
        endpoints (configured by the operator) are not affected."""
        meta = self.new_endpoint("http://169.254.169.254:80")
        named = self.new_endpoint(url(self.up_b).replace("127.0.0.3", "localhost"))
        self.h.reconfigure(allow_internal_upstreams="false")
        try:
            before = self.h.stats()[1]["errors"]
            t0 = time.time()
            for key, kind in ((1, "loopback"), (meta, "link-local"), (named, "loopback")):
                r = curl("-x", self.proxy(key), "-w", "%{http_code}", self.o("/ip"), timeout=20)
                self.assertEqual(r.stdout[-3:], b"502", (key, r.stdout))
                self.assertIn(b"a " + kind.encode() + b" address: refused", r.stdout, key)
            self.assertLess(time.time() - t0, 5, "refused without trying to connect")
            s, reply = socks5_connect(self.ports[1], "127.0.0.1", self.origin.port)
            self.assertEqual(reply[:2], b"\x05\x02", "SOCKS5: connection not allowed by ruleset")
            s.close()
            self.assertGreater(self.h.stats()[1]["errors"], before, "counted as an upstream failure")
            r = curl("-x", self.proxy(3), self.o("/ip"))  # direct: the operator's choice
            self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.1")
        finally:
            self.h.reconfigure(allow_internal_upstreams="true")
        r = curl("-x", self.proxy(1), self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.2", "allowed again")

    def test_upstream_rejects_our_credentials(self):
        key = self.new_endpoint(url(self.up_a, UP_USER, "wrong"))
        r = curl("-x", self.proxy(key), "-i", self.o("/ip"))
        self.assertIn(b"HTTP/1.1 502", r.stdout)
        self.assertIn(b"407", r.stdout)
        r = curl("-p", "-x", self.proxy(key), "-v", self.o("/ip"))
        self.assertIn(b"502", r.stderr)
        self.assertIsNotNone(self.h.wait_event("upstream.failure %d" % key))

    def test_upstream_timeout_gives_504(self):
        key = self.new_endpoint(url(self.silent))
        t0 = time.time()
        r = curl("-p", "-x", self.proxy(key), "-v", self.o("/ip"))
        self.assertIn(b"504", r.stderr)
        self.assertLess(time.time() - t0, 8)
        self.assertIsNotNone(self.h.wait_event("upstream.failure %d" % key))


class SpliceMode(unittest.TestCase):
    """Bulk tunnel traffic moves through a splice pipe that the tunnel holds only while data
    flows; `splice: false` copies instead. Both deliver every byte."""

    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.h = Harness(threads=1)
        cls.port = free_port()
        cls.h.endpoint(1, "proxy1", cls.port, "u", "pw", "direct")
        cls.base = None

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.origin.stop()

    def setUp(self):
        # the harness's own pipes (stdin, stdout), once the previous test's tunnels are gone
        if SpliceMode.base is None:
            SpliceMode.base = self.pipes()
        self.assertTrue(self.settle(), "pipes of a closed tunnel were not given back")

    def settle(self, timeout=5):
        deadline = time.time() + timeout
        while self.pipes() != self.base and time.time() < deadline:
            time.sleep(0.1)
        return self.pipes() == self.base

    def pipes(self):
        d = "/proc/%d/fd" % self.h.proc.pid
        n = 0
        for fd in os.listdir(d):
            try:
                n += os.readlink(os.path.join(d, fd)).startswith("pipe:")
            except OSError:
                pass
        return n

    def tunnel(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n"
                  % (self.origin.port, basic("u", "pw").encode()))
        head = recv_until(s, b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        return s

    def download(self, s, n, seed):
        """GET n bytes through the tunnel, reading late (so that the proxy meets a full
        socket); returns the pipes the proxy held in the middle of the body."""
        s.sendall(b"GET /bytes?n=%d&seed=%d HTTP/1.1\r\nHost: x\r\n\r\n" % (n, seed))
        time.sleep(0.5)
        data = recv_until(s, b"\r\n\r\n")
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:100])
        h = hashlib.sha256(body)
        got = len(body)
        during = None
        while got < n:
            chunk = s.recv(min(1 << 20, n - got))
            self.assertTrue(chunk, "tunnel closed after %d of %d bytes" % (got, n))
            h.update(chunk)
            got += len(chunk)
            if during is None and got >= 2 << 20:
                during = self.pipes()
        self.assertEqual(h.hexdigest(), expected_sha256(n, seed))
        return during

    def test_pipes_only_while_bulk_data_flows(self):
        base = self.base
        before = self.h.stats()[1]["bytes_out"]
        s = self.tunnel()
        during = self.download(s, 32 << 20, 7)
        self.assertEqual(during, base + 2, "one pipe (two descriptors) for the origin-to-client direction")
        self.assertGreaterEqual(self.h.stats()[1]["bytes_out"] - before, 32 << 20, "spliced bytes are counted")
        # idle for more than a second: the pipe is given back, the tunnel stays and still works
        self.assertTrue(self.settle(), "an idle tunnel keeps its pipe")
        s.sendall(b"GET /ip HTTP/1.1\r\nHost: x\r\n\r\n")
        st, _, body, _ = read_response(s)
        self.assertEqual(st, 200)
        self.assertEqual(self.download(s, 8 << 20, 8), base + 2, "bulk again: a pipe again")
        s.close()

    def test_splice_off_copies_every_byte(self):
        base = self.base
        self.h.reconfigure(splice="false")
        try:
            s = self.tunnel()
            self.assertEqual(self.download(s, 32 << 20, 9), base, "no pipe with splice: false")
            s.close()
        finally:
            self.h.reconfigure(splice="true")
        with self.assertRaises(RuntimeError) as e:
            self.h.reconfigure(splice="sometimes")
        self.assertIn("splice", str(e.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
