"""proxy.forward rejects malformed or ambiguous requests (400/414/431 and close) before
anything reaches an upstream, and accepts the valid forms."""
import socket
import time
import unittest

from fp_support import Harness, basic, read_response, recv_all, url
from sp_testnet import HttpProxy, Origin, free_port

AUTH = basic("u", "pw").encode()


class StrictParser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.up = HttpProxy("127.0.0.2").start()
        cls.h = Harness(threads=1)
        cls.port = free_port()
        cls.h.endpoint(1, "proxy1", cls.port, "u", "pw", url(cls.up))
        cls.target = b"http://127.0.0.1:%d/echo" % cls.origin.port

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.up.stop()
        cls.origin.stop()

    def send(self, raw):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        try:
            s.sendall(raw)
        except OSError:
            pass
        data = recv_all(s, timeout=10)
        s.close()
        return data

    def head(self, lines, method=b"POST", version=b"HTTP/1.1"):
        return b"%s %s %s\r\nHost: x\r\nProxy-Authorization: %s\r\n" % (method, self.target, version, AUTH) + lines + b"\r\n"

    def settled_count(self):
        """The upstream's request count once it has stopped changing for 150 ms (bounded):
        the upstream records a request on its own thread, possibly after the client had its
        answer, so counting right away could miss a late arrival or blame the next test."""
        deadline = time.monotonic() + 3
        count = len(self.up.requests)
        stable_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.03)
            now = len(self.up.requests)
            if now != count:
                count, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= 0.15:
                break
        return count

    def expect(self, raw, status):
        before = self.settled_count()
        data = self.send(raw)
        self.assertTrue(data.startswith(b"HTTP/1.1 %d " % status), (raw[:120], data[:200]))
        self.assertIn(b"Connection: close", data)
        self.assertEqual(self.settled_count(), before, "a rejected request reached the upstream")

    def test_valid_request_passes(self):
        data = self.send(self.head(b"Content-Length: 3\r\nConnection: close\r\n") + b"abc")
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        self.assertTrue(data.endswith(b"abc"))

    def test_both_length_and_chunked(self):
        self.expect(self.head(b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n") + b"0\r\n\r\n", 400)

    def test_duplicate_or_malformed_content_length(self):
        for h in (b"Content-Length: 3\r\nContent-Length: 3\r\n", b"Content-Length: 3, 3\r\n", b"Content-Length: +3\r\n",
                  b"Content-Length: 3a\r\n", b"Content-Length: \r\n", b"Content-Length: -1\r\n",
                  b"Content-Length: 99999999999999999999\r\n"):
            self.expect(self.head(h) + b"abc", 400)

    def test_transfer_encoding_other_than_final_chunked(self):
        for h in (b"Transfer-Encoding: gzip\r\n", b"Transfer-Encoding: chunked, gzip\r\n", b"Transfer-Encoding: chunked, chunked\r\n",
                  b"Transfer-Encoding: ,chunked\r\n", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
                  b"Transfer-Encoding: \"chunked\"\r\n"):
            self.expect(self.head(h) + b"0\r\n\r\n", 400)
        self.expect(self.head(b"Transfer-Encoding: chunked\r\n", version=b"HTTP/1.0") + b"0\r\n\r\n", 400)

    def test_whitespace_before_colon(self):
        self.expect(self.head(b"Transfer-Encoding : chunked\r\n") + b"0\r\n\r\n", 400)
        self.expect(self.head(b"Content-Length\t: 3\r\n") + b"abc", 400)

    def test_obs_fold(self):
        self.expect(self.head(b"X-A: a\r\n  folded\r\n"), 400)
        self.expect(self.head(b"X-A: a\r\n\tfolded\r\n"), 400)

    def test_control_characters_and_bare_lf(self):
        for h in (b"X-A: a\x01b\r\n", b"X-A: a\x00b\r\n", b"X-A: a\x7fb\r\n", b"X-A: a\rb\r\n", b"X-A: a\x1bb\r\n"):
            self.expect(self.head(h), 400)
        self.expect(b"GET %s HTTP/1.1\nHost: x\n\n" % self.target, 400)
        self.expect(self.head(b"X-A: b\n"), 400)
        self.expect(b"GET %s\x01 HTTP/1.1\r\nHost: x\r\n\r\n" % self.target, 400)

    def test_malformed_request_lines(self):
        for line in (b"GET  %s HTTP/1.1" % self.target, b"GET %s HTTP/1.1 " % self.target, b"GET %s" % self.target,
                     b"GET %s HTTP/2.0" % self.target, b"GET /relative HTTP/1.1", b"G(T %s HTTP/1.1" % self.target,
                     b"GET https://127.0.0.1/ HTTP/1.1", b"GET http://user@127.0.0.1/ HTTP/1.1",
                     b"CONNECT 127.0.0.1 HTTP/1.1", b"CONNECT 127.0.0.1:99999 HTTP/1.1", b"CONNECT :80 HTTP/1.1",
                     b"GET http://127.0.0.1/#frag HTTP/1.1", b"GET http://bad host/ HTTP/1.1"):
            self.expect(line + b"\r\nHost: x\r\nProxy-Authorization: " + AUTH + b"\r\n\r\n", 400)

    def test_missing_or_duplicate_host(self):
        self.expect(b"GET %s HTTP/1.1\r\nProxy-Authorization: %s\r\n\r\n" % (self.target, AUTH), 400)
        self.expect(self.head(b"Host: y\r\n", method=b"GET"), 400)

    def test_request_line_over_8k(self):
        self.expect(b"GET http://127.0.0.1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)

    def test_header_block_over_64k_and_over_100_headers(self):
        big = b"".join(b"X-Big-%d: %s\r\n" % (i, b"v" * 1000) for i in range(70))
        self.expect(self.head(big, method=b"GET"), 431)
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
        self.expect(self.head(many, method=b"GET"), 431)
        ok = b"".join(b"X-H%d: v\r\n" % i for i in range(97))
        data = self.send(self.head(ok + b"Connection: close\r\n", method=b"GET"))
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:100])

    def test_malformed_chunked_body(self):
        data = self.send(self.head(b"Transfer-Encoding: chunked\r\n") + b"zz\r\nabc\r\n0\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
