"""proxy.forward access log formats (json, Apache combined) switched live, reopening the
file after a rotation (Plugin::reopenLogs), and PROXY protocol v2 on the endpoint ports:
the client address it carries is what the access log, allow-lists, deny list and per-client
limits see; a connection without a valid header is closed."""
import json
import os
import re
import socket
import struct
import tempfile
import time
import unittest

from fp_support import Harness, http_get, recv_all, socks5_connect
from sp_testnet import Origin, TcpEcho, free_port

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_tcp4(src, dst="127.0.0.1", sport=51234, dport=8080, tlvs=b""):
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport) + tlvs
    return SIG + b"\x21\x11" + struct.pack("!H", len(body)) + body


def v2_tcp6(src, dst="::1", sport=51234, dport=8080):
    body = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!HH", sport, dport)
    return SIG + b"\x21\x21" + struct.pack("!H", len(body)) + body


def v2_local():
    return SIG + b"\x20\x00\x00\x00"


def log_lines(path, predicate, n, timeout=5):
    deadline = time.time() + timeout
    found = []
    while time.time() < deadline:
        try:
            with open(path, errors="replace") as f:
                found = [l.rstrip("\n") for l in f if predicate(l)]
        except FileNotFoundError:
            found = []
        if len(found) >= n:
            break
        time.sleep(0.05)
    return found


class AccessLogFormats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.dir = tempfile.mkdtemp(prefix="sp-accesslog-")
        cls.log = os.path.join(cls.dir, "access.log")
        cls.h = Harness(threads=2, access_log=cls.log, access_log_format="combined")
        cls.port = free_port()
        cls.h.endpoint(1, "proxy1", cls.port, None, None, "direct")

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.origin.stop()
        for f in os.listdir(cls.dir):
            os.unlink(os.path.join(cls.dir, f))
        os.rmdir(cls.dir)

    def get(self, tag):
        url = "http://127.0.0.1:%d/bytes?n=321&tag=%s" % (self.origin.port, tag)
        status, _, body = http_get(self.port, url, headers=[("User-Agent", "ua-%s \"q\"" % tag),
                                                            ("Referer", "http://ref.example/%s" % tag)])
        self.assertEqual((status, len(body)), (200, 321))

    def test_combined_then_json_live_then_reopen_after_rotation(self):
        self.get("c1")
        [line] = log_lines(self.log, lambda l: "tag=c1" in l, 1)
        m = re.fullmatch(r'127\.0\.0\.1 - proxy1 \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
                         r'"GET http://127\.0\.0\.1:\d+/bytes\?n=321&tag=c1 HTTP/1\.1" 200 321 '
                         r'"http://ref\.example/c1" "ua-c1 \\"q\\""', line)
        self.assertTrue(m, line)
        time.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S +0000")

        self.assertEqual(self.h.reconfigure(access_log_format="json"), [])
        self.get("j1")
        [line] = log_lines(self.log, lambda l: "tag=j1" in l, 1)
        rec = json.loads(line)
        self.assertEqual((rec["client"], rec["method"], rec["status"], rec["bytes_out"], rec["endpoint"]),
                         ("127.0.0.1", "GET", 200, 321, "proxy1"))

        # rotation: rename, the old file keeps receiving until reopen; then a new file is used
        rotated = self.log + ".1"
        os.rename(self.log, rotated)
        self.get("r1")
        self.assertEqual(len(log_lines(rotated, lambda l: "tag=r1" in l, 1)), 1)
        self.assertEqual(self.h.cmd("reopen"), "OK")
        self.get("r2")
        self.assertEqual(len(log_lines(self.log, lambda l: "tag=r2" in l, 1)), 1, "new lines do not go to the new file")
        self.assertEqual(log_lines(rotated, lambda l: "tag=r2" in l, 0, timeout=0.3), [])

        # the access log path itself is live too
        other = os.path.join(self.dir, "other.log")
        self.h.reconfigure(access_log=other)
        self.get("p1")
        self.assertEqual(len(log_lines(other, lambda l: "tag=p1" in l, 1)), 1)
        self.h.reconfigure(access_log=self.log, access_log_format="combined")


class ProxyProtocolV2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.echo = TcpEcho().start()
        cls.log = tempfile.NamedTemporaryFile(prefix="sp-pp2-", suffix=".log", delete=False).name
        cls.gw = free_port()
        cls.h = Harness(threads=2, access_log=cls.log, proxy_protocol="v2", gateway_port=cls.gw, header_timeout_seconds=3)
        cls.port = free_port()       # allow-list: the documentation network of the test client
        cls.h.endpoint(1, "proxy1", cls.port, None, None, "direct", "allow=203.0.113.0/24")
        cls.open_port = free_port()  # no allow-list
        cls.h.endpoint(2, "proxy2", cls.open_port, "u", "pw", "direct")

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.origin.stop()
        cls.echo.stop()
        os.unlink(cls.log)

    def setUp(self):
        self.h.reconfigure(deny="", client_rps=0)

    def o(self, path):
        return "http://127.0.0.1:%d%s" % (self.origin.port, path)

    def test_tcp4_address_reaches_access_log_and_allow_list(self):
        status, _, body = http_get(self.port, self.o("/ip?who=pp1"), prefix=v2_tcp4("203.0.113.7"))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["ip"], "127.0.0.1")  # the proxy itself connects to the origin
        [line] = log_lines(self.log, lambda l: "who=pp1" in l, 1)
        self.assertEqual(json.loads(line)["client"], "203.0.113.7")
        # TLVs (ALPN, authority, NOOP) are skipped; a SOCKS5 client behind the header works too
        s, code = socks5_connect(self.port, "127.0.0.1", self.echo.port,
                                 prefix=v2_tcp4("203.0.113.8", tlvs=b"\x01\x00\x02h2\x02\x00\x04a.io\x04\x00\x00"))
        s.sendall(b"hello")
        self.assertEqual(s.recv(5), b"hello")
        s.close()
        self.assertEqual(code, 0)
        # a client outside the endpoint's allow-list, as told by the header
        status, _, body = http_get(self.port, self.o("/ip?who=pp2"), prefix=v2_tcp4("198.51.100.9"))
        self.assertEqual(status, 403, body)
        [line] = log_lines(self.log, lambda l: "who=pp2" in l, 1)
        self.assertEqual((json.loads(line)["client"], json.loads(line)["status"]), ("198.51.100.9", 403))

    def test_tcp6_address_and_global_deny(self):
        auth = [("Proxy-Authorization", "Basic dTpwdw==")]
        status, _, _ = http_get(self.open_port, self.o("/ip?who=six"), headers=auth, prefix=v2_tcp6("2001:db8::7"))
        self.assertEqual(status, 200)
        [line] = log_lines(self.log, lambda l: "who=six" in l, 1)
        self.assertEqual(json.loads(line)["client"], "2001:db8::7")
        self.h.reconfigure(deny="2001:db8::/32")
        status, _, body = http_get(self.open_port, self.o("/ip"), headers=auth, prefix=v2_tcp6("2001:db8::7"))
        self.assertEqual(status, 403, body)
        self.assertIn(b"2001:db8::/32", body)
        self.assertEqual(http_get(self.open_port, self.o("/ip"), headers=auth, prefix=v2_tcp6("2001:db9::7"))[0], 200)
        self.assertEqual(self.h.errors(2)["denied"], 1)

    def test_local_command_uses_the_socket_address(self):
        status, _, _ = http_get(self.port, self.o("/ip"), prefix=v2_local())
        self.assertEqual(status, 403)  # 127.0.0.1 is not in 203.0.113.0/24
        status, _, _ = http_get(self.open_port, self.o("/ip?who=local"), headers=[("Proxy-Authorization", "Basic dTpwdw==")],
                                prefix=v2_local())
        self.assertEqual(status, 200)
        [line] = log_lines(self.log, lambda l: "who=local" in l, 1)
        self.assertEqual(json.loads(line)["client"], "127.0.0.1")

    def test_per_client_limits_see_the_forwarded_address(self):
        self.h.reconfigure(client_rps=1)
        url = self.o("/ip")
        self.assertEqual(http_get(self.port, url, prefix=v2_tcp4("203.0.113.20"))[0], 200)
        self.assertEqual(http_get(self.port, url, prefix=v2_tcp4("203.0.113.20"))[0], 429)
        self.assertEqual(http_get(self.port, url, prefix=v2_tcp4("203.0.113.21"))[0], 200)

    def test_connection_without_a_valid_header_is_closed(self):
        for prefix in (b"", b"PROXY TCP4 203.0.113.7 127.0.0.1 1 2\r\n", SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12,
                       SIG + b"\x21\x12\x00\x0c" + b"\x00" * 12):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(prefix + b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.o("/ip").encode())
            self.assertEqual(recv_all(s, timeout=5), b"", prefix)
            s.close()
        # a client that never sends the header is closed at the header deadline
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        t0 = time.time()
        self.assertEqual(recv_all(s, timeout=10), b"")
        self.assertLess(time.time() - t0, 6)
        s.close()

    def test_gateway_port_expects_no_header(self):
        status, _, _ = http_get(self.gw, self.o("/ip"), headers=[("Proxy-Authorization", "Basic cHJveHkyOnB3")])
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
