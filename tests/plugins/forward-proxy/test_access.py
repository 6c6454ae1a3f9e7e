"""proxy.forward access control and endpoint lifecycle: 407, SOCKS5 auth failures, allow-lists,
slowed failures, disabled endpoints, the shared gateway port, restart/remove, header deadline,
stats and the access log."""
import json
import os
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from fp_support import Harness, basic, read_response, recv_all, recv_until, url
from sp_testnet import HttpProxy, Origin, Socks5Proxy, TcpEcho, free_port


def curl(*args, timeout=20):
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args], capture_output=True, timeout=timeout + 10)


class Access(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.echo = TcpEcho().start()
        cls.up_a = HttpProxy("127.0.0.2").start()
        cls.up_b = Socks5Proxy("127.0.0.3").start()
        cls.gw = free_port()
        cls.log = tempfile.NamedTemporaryFile(prefix="sp-access-", suffix=".log", delete=False).name
        cls.h = Harness(threads=2, gateway_port=cls.gw, header_timeout_seconds=2, access_log=cls.log)
        cls.next_key = 1

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        for s in (cls.origin, cls.echo, cls.up_a, cls.up_b):
            s.stop()
        os.unlink(cls.log)

    def o(self, path):
        return "http://127.0.0.1:%d%s" % (self.origin.port, path)

    def endpoint(self, upstream=None, user="u", password="pw", *extra):
        key = type(self).next_key
        type(self).next_key += 1
        port = free_port()
        self.h.endpoint(key, "proxy%d" % key, port, user, password, upstream or url(self.up_a), *extra)
        return key, port

    def test_407_without_or_with_wrong_credentials(self):
        key, port = self.endpoint()
        for proxy in ("http://127.0.0.1:%d" % port, "http://u:nope@127.0.0.1:%d" % port, "http://x:pw@127.0.0.1:%d" % port):
            r = curl("-x", proxy, "-i", self.o("/ip"))
            self.assertTrue(r.stdout.startswith(b"HTTP/1.1 407"), r.stdout)
            self.assertIn(b'Proxy-Authenticate: Basic realm="steadyproxy"', r.stdout)
            r = curl("-p", "-x", proxy, "-v", self.o("/ip"))
            self.assertIn(b"< HTTP/1.1 407", r.stderr)
        r = curl("-x", "http://u:pw@127.0.0.1:%d" % port, self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.2")

    def test_socks5_auth_failures(self):
        key, port = self.endpoint()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"\x05\x01\x00")  # only "no authentication" offered
        self.assertEqual(recv_all(s), b"\x05\xff")
        s.close()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"\x05\x01\x02")
        self.assertEqual(s.recv(2), b"\x05\x02")
        s.sendall(b"\x01\x01u\x03bad")
        self.assertEqual(recv_all(s), b"\x01\x01")
        s.close()
        r = curl("-x", "socks5h://u:bad@127.0.0.1:%d" % port, self.o("/ip"))
        self.assertNotEqual(r.returncode, 0)
        r = curl("-x", "socks5h://u:pw@127.0.0.1:%d" % port, self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.2")

    def test_socks5_unsupported_commands(self):
        key, port = self.endpoint()
        for cmd in (2, 3):  # BIND, UDP ASSOCIATE
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"\x05\x01\x02")
            s.recv(2)
            s.sendall(b"\x01\x01u\x02pw")
            self.assertEqual(s.recv(2), b"\x01\x00")
            s.sendall(bytes([5, cmd, 0, 1, 127, 0, 0, 1]) + struct.pack(">H", self.origin.port))
            self.assertEqual(recv_all(s)[:2], bytes([5, 7]))
            s.close()

    def test_repeated_failures_are_slowed(self):
        key, port = self.endpoint()
        src = "127.0.0.%d" % (100 + key)  # a client address of its own: the throttle is per address

        def attempt(password):
            t0 = time.time()
            s = socket.create_connection(("127.0.0.1", port), timeout=15, source_address=(src, 0))
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\nConnection: close\r\n\r\n"
                       % (self.o("/ip"), basic("u", password))).encode())
            st, _, _, _ = read_response(s, timeout=15)
            s.close()
            return st, time.time() - t0

        took = []
        for _ in range(6):
            st, t = attempt("wrong")
            self.assertEqual(st, 407)
            took.append(t)
        self.assertLess(took[0], 0.4, took)
        self.assertGreater(took[-1], 0.8, took)
        # a success forgets the address
        self.assertEqual(attempt("pw")[0], 200)
        st, t = attempt("wrong")
        self.assertEqual(st, 407)
        self.assertLess(t, 0.5)

    def test_allow_list_and_disabled(self):
        key, port = self.endpoint(None, "u", "pw", "allow=10.0.0.0/8,2001:db8::/32")
        r = curl("-x", "http://u:pw@127.0.0.1:%d" % port, "-i", self.o("/ip"))
        self.assertTrue(r.stdout.startswith(b"HTTP/1.1 403"), r.stdout)
        r = curl("-x", "socks5h://u:pw@127.0.0.1:%d" % port, self.o("/ip"))
        self.assertNotEqual(r.returncode, 0)
        key, port = self.endpoint(None, "u", "pw", "allow=10.0.0.0/8,127.0.0.0/8")
        r = curl("-x", "http://u:pw@127.0.0.1:%d" % port, self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.2")
        key, port = self.endpoint(None, "u", "pw", "inactive")
        r = curl("-x", "http://u:pw@127.0.0.1:%d" % port, "-i", self.o("/ip"))
        self.assertTrue(r.stdout.startswith(b"HTTP/1.1 403"), r.stdout)
        self.assertIn(b"disabled", r.stdout)

    def test_gateway_picks_endpoint_by_username(self):
        ka, _ = self.endpoint(url(self.up_a), "ua", "secret-a")
        kb, _ = self.endpoint(url(self.up_b, scheme="socks5"), "ub", "secret-b")
        gw = "127.0.0.1:%d" % self.gw
        r = curl("-x", "http://proxy%d:secret-a@%s" % (ka, gw), self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.2")
        r = curl("-x", "http://proxy%d:secret-b@%s" % (kb, gw), self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.3")
        r = curl("-p", "-x", "http://proxy%d:secret-b@%s" % (kb, gw), self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.3")
        r = curl("-x", "socks5h://proxy%d:secret-a@%s" % (ka, gw), self.o("/ip"))
        self.assertEqual(json.loads(r.stdout)["ip"], "127.0.0.2")
        for bad in ("proxy%d:secret-b" % ka, "nobody:secret-a", "ua:secret-a"):
            r = curl("-x", "http://%s@%s" % (bad, gw), "-i", self.o("/ip"))
            self.assertTrue(r.stdout.startswith(b"HTTP/1.1 407"), (bad, r.stdout))
        r = curl("-x", "http://%s" % gw, "-i", self.o("/ip"))
        self.assertTrue(r.stdout.startswith(b"HTTP/1.1 407"))

    def test_restart_keeps_port_and_remove_closes(self):
        key, port = self.endpoint()
        t = socket.create_connection(("127.0.0.1", port), timeout=10)
        t.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n" % (self.echo.port, basic("u", "pw").encode()))
        self.assertTrue(recv_until(t, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
        self.assertEqual(self.h.cmd("restart %d" % key), "OK")
        t.sendall(b"still")
        self.assertEqual(recv_until(t, b"still"), b"still", "restart must not cut open tunnels")
        r = curl("-x", "http://u:pw@127.0.0.1:%d" % port, self.o("/ip"))
        self.assertEqual(r.returncode, 0)
        st = self.h.stats()[key]
        self.assertTrue(st["listening"])
        self.assertGreaterEqual(st["total"], 2)
        self.assertGreaterEqual(st["active"], 1)
        self.assertGreater(st["bytes_in"], 0)
        self.assertEqual(self.h.cmd("remove %d" % key), "OK")
        self.assertEqual(recv_all(t, timeout=5), b"")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=3).recv(1)
        self.assertNotIn(key, self.h.stats())

    def test_header_deadline_stops_slowloris(self):
        key, port = self.endpoint()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        t0 = time.time()
        s.sendall(b"GET http://127.0.0.1/ HTTP/1.1\r\n")
        data = b""
        try:
            for _ in range(20):
                time.sleep(0.3)
                s.sendall(b"X-A: b\r\n")
        except OSError:
            pass
        data = recv_all(s, timeout=10)
        self.assertLess(time.time() - t0, 6.5)
        self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data)
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        t0 = time.time()
        self.assertEqual(recv_all(idle, timeout=10), b"")
        self.assertLess(time.time() - t0, 4.5)

    def test_access_log_lines(self):
        key, port = self.endpoint()
        curl("-x", "http://u:pw@127.0.0.1:%d" % port, self.o("/bytes?n=1234"))
        curl("-p", "-x", "http://u:pw@127.0.0.1:%d" % port, self.o("/ip"))
        deadline = time.time() + 5
        mine = []
        while time.time() < deadline and len(mine) < 2:
            with open(self.log) as f:
                mine = [json.loads(l) for l in f if l.strip() and json.loads(l)["endpoint"] == "proxy%d" % key]
            time.sleep(0.1)
        self.assertEqual(len(mine), 2, mine)
        get, tunnel = mine
        self.assertEqual((get["method"], get["status"], get["bytes_out"]), ("GET", 200, 1234))
        self.assertEqual(get["client"], "127.0.0.1")
        self.assertEqual(get["upstream"], "http://127.0.0.2:%d" % self.up_a.port)
        self.assertEqual((tunnel["method"], tunnel["status"]), ("CONNECT", 200))
        for k in ("time", "target", "bytes_in", "duration_ms"):
            self.assertIn(k, get)


if __name__ == "__main__":
    unittest.main(verbosity=2)
