"""proxy.forward limits and access control, all applied live through Plugin::reconfigure:
global allow/deny lists, requests per second and concurrent connections per client address
and per endpoint (429 / SOCKS5 0x02, counted as "limited"/"denied", logged with the rule),
the bandwidth cap per endpoint (reads paused, no busy loop), refusals of invalid values,
and the keys reported as needing a restart."""
import os
import re
import socket
import tempfile
import time
import unittest

from fp_support import Harness, http_get, read_response, recv_until, socks5_connect
from sp_testnet import Origin, TcpEcho, free_port

OFF = dict(allow="", deny="", client_rps=0, client_max_connections=0, endpoint_rps=0,
           endpoint_max_connections=0, endpoint_bandwidth_bps=0)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.echo = TcpEcho().start()
        cls.applog = tempfile.NamedTemporaryFile(prefix="sp-limits-", suffix=".log", delete=False).name
        cls.h = Harness(log_to=cls.applog, threads=2)
        cls.next_key = 1

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.origin.stop()
        cls.echo.stop()
        os.unlink(cls.applog)

    def setUp(self):
        self.assertEqual(self.h.reconfigure(**OFF), [])

    def endpoint(self, user=None, password=None):
        key = type(self).next_key
        type(self).next_key += 1
        port = free_port()
        self.h.endpoint(key, "proxy%d" % key, port, user, password, "direct")
        return key, port

    def o(self, path):
        return "http://127.0.0.1:%d%s" % (self.origin.port, path)

    def applog_text(self):
        with open(self.applog, errors="replace") as f:
            return f.read()

    def test_global_deny_and_allow_lists(self):
        key, port = self.endpoint()
        self.assertEqual(http_get(port, self.o("/ip"))[0], 200)
        self.h.reconfigure(deny="10.0.0.0/8,127.0.0.0/8")
        status, _, body = http_get(port, self.o("/ip"))
        self.assertEqual(status, 403)
        self.assertIn(b"deny list (127.0.0.0/8)", body)
        s, code = socks5_connect(port, "127.0.0.1", self.echo.port)
        s.close()
        self.assertEqual(code, 0x02)
        self.assertEqual(self.h.errors(key)["denied"], 2)
        # allow-list without the client
        self.h.reconfigure(allow="10.0.0.0/8,2001:db8::/32", deny="")
        self.assertEqual(http_get(port, self.o("/ip"))[0], 403)
        # with it
        self.h.reconfigure(allow="::1,127.0.0.1/32")
        self.assertEqual(http_get(port, self.o("/ip"))[0], 200)
        # deny wins over allow
        self.h.reconfigure(allow="127.0.0.0/8", deny="127.0.0.1")
        self.assertEqual(http_get(port, self.o("/ip"))[0], 403)
        self.assertIn("refused client 127.0.0.1 on proxy%d: global deny list (127.0.0.1/32)" % key, self.applog_text())

    def test_client_requests_per_second(self):
        key, port = self.endpoint()
        self.h.reconfigure(client_rps=4)
        statuses, retry = [], None
        for _ in range(12):
            status, headers, _ = http_get(port, self.o("/ip"))
            statuses.append(status)
            if status == 429:
                retry = headers.get("retry-after")
        ok = statuses.count(200)
        self.assertGreaterEqual(ok, 4, statuses)
        self.assertLessEqual(ok, 7, statuses)
        self.assertEqual(ok + statuses.count(429), 12, statuses)
        self.assertEqual(retry, "1")
        self.assertEqual(self.h.errors(key)["limited"], statuses.count(429))
        self.assertIn("client_rps (4 requests per second per client address)", self.applog_text())
        time.sleep(1.1)  # the bucket refills
        self.assertEqual(http_get(port, self.o("/ip"))[0], 200)
        self.h.reconfigure(client_rps=0)
        self.assertEqual([http_get(port, self.o("/ip"))[0] for _ in range(10)], [200] * 10)

    def test_refusal_log_is_rate_limited(self):
        key, port = self.endpoint()
        self.h.reconfigure(endpoint_rps=1)
        for _ in range(40):
            http_get(port, self.o("/ip"))
        time.sleep(0.7)
        http_get(port, self.o("/ip"))
        lines = [l for l in self.applog_text().splitlines() if "on proxy%d: endpoint_rps" % key in l]
        self.assertGreaterEqual(self.h.errors(key)["limited"], 35)
        self.assertLessEqual(len(lines), 14, "refusals are not rate-limited in the log")
        self.assertTrue(re.search(r"\((\d+) similar lines suppressed\)", lines[-1]), lines[-1])

    def test_endpoint_requests_per_second_http_and_socks(self):
        key, port = self.endpoint()
        other_key, other_port = self.endpoint()
        self.h.reconfigure(endpoint_rps=3)
        statuses = [http_get(port, self.o("/ip"))[0] for _ in range(8)]
        self.assertIn(429, statuses)
        self.assertLessEqual(statuses.count(200), 5, statuses)
        s, code = socks5_connect(port, "127.0.0.1", self.echo.port)
        s.close()
        self.assertEqual(code, 0x02)  # "connection not allowed by ruleset"
        # the other endpoint has its own budget
        self.assertEqual(http_get(other_port, self.o("/ip"))[0], 200)
        self.assertGreaterEqual(self.h.errors(key)["limited"], 2)
        self.assertEqual(self.h.errors(other_key).get("limited", 0), 0)

    def test_client_max_connections(self):
        key, port = self.endpoint()
        self.h.reconfigure(client_max_connections=2)
        a = socket.create_connection(("127.0.0.1", port), timeout=5)
        b = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            time.sleep(0.2)
            status, headers, body = http_get(port, self.o("/ip"))
            self.assertEqual(status, 429, body)
            self.assertIn(b"client_max_connections", body)
            s, code = socks5_connect(port, "127.0.0.1", self.echo.port)
            s.close()
            self.assertEqual(code, 0x02)
        finally:
            a.close()
            b.close()
        time.sleep(0.3)
        self.assertEqual(http_get(port, self.o("/ip"))[0], 200)

    def test_endpoint_max_connections(self):
        key, port = self.endpoint("u", "pw")
        self.h.reconfigure(endpoint_max_connections=1)
        s, code = socks5_connect(port, "127.0.0.1", self.echo.port, "u", "pw")
        try:
            self.assertEqual(code, 0)
            status, _, body = http_get(port, self.o("/ip"), headers=[("Proxy-Authorization", "Basic dTpwdw==")])
            self.assertEqual(status, 429, body)
            self.assertIn(b"endpoint_max_connections", body)
            s2, code2 = socks5_connect(port, "127.0.0.1", self.echo.port, "u", "pw")
            s2.close()
            self.assertEqual(code2, 0x02)
            # wrong credentials are still answered as such, not as a limit
            status, _, _ = http_get(port, self.o("/ip"), headers=[("Proxy-Authorization", "Basic dTpubw==")])
            self.assertEqual(status, 407)
            s.sendall(b"x")
            self.assertEqual(recv_until(s, b"x"), b"x")  # the admitted tunnel is untouched
        finally:
            s.close()
        time.sleep(0.3)
        self.assertEqual(http_get(port, self.o("/ip"), headers=[("Proxy-Authorization", "Basic dTpwdw==")])[0], 200)
        self.assertEqual(self.h.errors(key)["limited"], 2)

    def test_bandwidth_cap_each_way_without_busy_loop(self):
        key, port = self.endpoint()
        rate = 200000
        self.h.reconfigure(endpoint_bandwidth_bps=rate)
        n = 600000
        cpu0, t0 = cpu_seconds(self.h.proc.pid), time.time()
        status, _, body = http_get(port, self.o("/bytes?n=%d" % n), timeout=30)
        down = time.time() - t0
        cpu = cpu_seconds(self.h.proc.pid) - cpu0
        self.assertEqual((status, len(body)), (200, n))
        self.assertGreater(down, 0.8 * n / rate, "download not slowed to the cap")
        self.assertLess(down, 3 * n / rate + 2)
        self.assertLess(cpu, 0.5 * down, "the proxy spun while reads were paused (%.2f s CPU in %.2f s)" % (cpu, down))
        # upload through a tunnel to the echo server: client->upstream is capped as well
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % self.echo.port)
            self.assertTrue(recv_until(s, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
            self.h.reconfigure(endpoint_bandwidth_bps=100000)  # live, on an open tunnel
            m = 300000
            cpu0, t0 = cpu_seconds(self.h.proc.pid), time.time()
            import threading
            sender = threading.Thread(target=s.sendall, args=(b"u" * m,))
            sender.start()
            got = 0
            s.settimeout(30)
            while got < m:
                c = s.recv(65536)
                if not c:
                    break
                got += len(c)
            sender.join(30)
            up = time.time() - t0
            cpu = cpu_seconds(self.h.proc.pid) - cpu0
        finally:
            s.close()
        self.assertEqual(got, m)
        self.assertGreater(up, 0.8 * m / 100000, "upload not slowed to the cap")
        self.assertLess(cpu, 0.5 * up, "the proxy spun while reads were paused (%.2f s CPU in %.2f s)" % (cpu, up))
        self.h.reconfigure(endpoint_bandwidth_bps=0)
        t0 = time.time()
        self.assertEqual(len(http_get(port, self.o("/bytes?n=%d" % n))[2]), n)
        self.assertLess(time.time() - t0, 1.5)

    def test_invalid_values_are_refused_and_old_ones_stay(self):
        key, port = self.endpoint()
        self.h.reconfigure(deny="127.0.0.1")
        for bad in (dict(deny="127.0.0.300"), dict(allow="nonsense/8"), dict(client_rps=-1),
                    dict(access_log_format="xml"), dict(header_timeout_seconds=0), dict(max_connections="many"),
                    dict(proxy_protocol="v3")):
            with self.assertRaises(RuntimeError, msg=str(bad)) as ctx:
                self.h.reconfigure(**bad)
            self.assertIn(next(iter(bad)), str(ctx.exception))
        self.assertEqual(http_get(port, self.o("/ip"))[0], 403)  # the deny list stayed in force

    def test_reload_keeps_connections_and_reports_restart_keys(self):
        key, port = self.endpoint()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % self.echo.port)
            self.assertTrue(recv_until(s, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
            keep = socket.create_connection(("127.0.0.1", port), timeout=10)
            keep.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.o("/ip").encode())
            self.assertEqual(read_response(keep)[0], 200)
            self.assertEqual(self.h.reconfigure(idle_timeout_seconds=100, header_timeout_seconds=20, client_rps=100,
                                                endpoint_max_connections=50, max_connections=500), [])
            self.assertEqual(sorted(self.h.reconfigure(threads=3, gateway_port=free_port(), proxy_protocol="v2",
                                                       listen_host="0.0.0.0")),
                             ["gateway_port", "listen_host", "proxy_protocol", "threads"])
            # restart-only keys changed nothing: no PROXY header is expected yet
            self.assertEqual(http_get(port, self.o("/ip"))[0], 200)
            s.sendall(b"after reload")
            self.assertEqual(recv_until(s, b"after reload"), b"after reload")
            keep.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.o("/ip").encode())
            self.assertEqual(read_response(keep)[0], 200)
            keep.close()
        finally:
            s.close()
        self.h.reconfigure(threads=2, gateway_port=0, proxy_protocol="off", listen_host="127.0.0.1")


if __name__ == "__main__":
    unittest.main()
