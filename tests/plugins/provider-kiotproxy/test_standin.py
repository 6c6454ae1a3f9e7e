#!/usr/bin/env python3
"""The KiotProxy stand-in follows shared/kiotproxy-api.md: answer shapes, errors, masked
keys, the ttc formula, regions, too-early modes, expiry on its clock, fault injection, the
control API and CLI, and real HTTP/SOCKS5 proxies whose traffic leaves from the IP it
reports."""
import base64
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import sp_testnet
from kiotproxy_standin import KEY_EXPIRED_MESSAGE, LOCATIONS, KiotStandin, mask_key

SUPPORT = os.path.join(os.environ.get("STEADYPROXY_SOURCE_DIR",
                                      os.path.join(os.path.dirname(__file__), "..", "..", "..")),
                       "tests", "support")
SUCCESS_DATA_KEYS = {"realIpAddress", "http", "socks5", "httpPort", "socks5Port", "host", "location",
                     "expirationAt", "nextRequestAt", "ttl", "ttc"}
FAIL_KEYS = {"success", "code", "message", "timestamp", "status", "error"}


def get(url, timeout=10):
    """(status, headers, raw body) whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api(s, path, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    status, headers, raw = get(f"{s.base_url}/proxies/{path}?{q}")
    return status, json.loads(raw.decode("utf-8")), raw


def recv_until(sock, marker, limit=1 << 20):
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def http_get_ip_via_connect(proxy_host, proxy_port, origin_port, auth=None):
    with socket.create_connection((proxy_host, proxy_port), timeout=10) as c:
        head = f"CONNECT 127.0.0.1:{origin_port} HTTP/1.1\r\nHost: 127.0.0.1:{origin_port}\r\n"
        if auth:
            head += "Proxy-Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
        c.sendall((head + "\r\n").encode())
        reply = recv_until(c, b"\r\n\r\n")
        status = int(reply.split(b" ")[1])
        if status != 200:
            return status, None
        c.sendall(b"GET /ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        body = recv_until(c, b"}").split(b"\r\n\r\n", 1)[1]
        return 200, json.loads(body)["ip"]


def http_get_ip_via_absolute(proxy_host, proxy_port, origin_port, auth=None):
    with socket.create_connection((proxy_host, proxy_port), timeout=10) as c:
        head = f"GET http://127.0.0.1:{origin_port}/ip HTTP/1.1\r\nHost: 127.0.0.1:{origin_port}\r\nConnection: close\r\n"
        if auth:
            head += "Proxy-Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
        c.sendall((head + "\r\n").encode())
        reply = recv_until(c, b"}")
        status = int(reply.split(b" ")[1])
        if status != 200:
            return status, None
        return 200, json.loads(reply.split(b"\r\n\r\n", 1)[1])["ip"]


def socks5_get_ip(proxy_host, proxy_port, origin_port, user=None, password=None):
    with socket.create_connection((proxy_host, proxy_port), timeout=10) as c:
        c.sendall(b"\x05\x01" + (b"\x02" if user else b"\x00"))
        ver, method = c.recv(2)
        if user:
            if method != 2:
                return "no-auth-method", None
            u, p = user.encode(), password.encode()
            c.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
            if c.recv(2)[1] != 0:
                return "auth-failed", None
        elif method != 0:
            return "method-refused", None
        c.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + origin_port.to_bytes(2, "big"))
        rep = c.recv(10)
        if rep[1] != 0:
            return f"reply-{rep[1]}", None
        c.sendall(b"GET /ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        body = recv_until(c, b"}").split(b"\r\n\r\n", 1)[1]
        return "ok", json.loads(body)["ip"]


def refused(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except OSError:
        return True


class StandinTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = sp_testnet.Origin("127.0.0.1").start()

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()

    def setUp(self):
        self.s = KiotStandin(lifetime=1200, change_interval=60, grace=0.5).start()
        self.addCleanup(self.s.stop)

    # ------------------------------------------------------------------ shapes
    def test_success_shape_and_ttc_formula(self):
        key = self.s.add_key()
        self.assertRegex(key, r"^K[0-9a-f]{32}$")
        status, body, raw = api(self.s, "new", key=key, region="bac")
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"data", "success", "code", "timestamp", "status"})
        self.assertNotIn("message", body)
        self.assertEqual((body["success"], body["code"], body["status"]), (True, 200, "SUCCESS"))
        d = body["data"]
        self.assertEqual(set(d), SUCCESS_DATA_KEYS)
        self.assertEqual(d["http"], f"{d['realIpAddress']}:{d['httpPort']}")
        self.assertEqual(d["socks5"], f"{d['realIpAddress']}:{d['socks5Port']}")
        self.assertEqual(d["host"], d["realIpAddress"])
        self.assertTrue(d["realIpAddress"].startswith("127.") and d["realIpAddress"] != "127.0.0.1")
        self.assertIn(d["location"], LOCATIONS["bac"])
        self.assertIn(d["location"].encode("utf-8"), raw, "location must be raw UTF-8, not \\u escapes")
        now = self.s.now_ms()
        self.assertLess(abs(body["timestamp"] - now), 2000, "timestamp is epoch ms")
        self.assertEqual(d["ttl"], 1200)
        self.assertEqual(d["expirationAt"] - d["nextRequestAt"], (1200 - 60) * 1000)
        self.assertEqual(d["ttc"], math.floor((d["nextRequestAt"] - body["timestamp"]) / 1000))
        self.s.advance(10.5)
        status, cur, _ = api(self.s, "current", key=key)
        self.assertEqual(status, 200)
        self.assertEqual(cur["data"]["ttl"], 1200, "ttl stays constant")
        self.assertEqual(cur["data"]["ttc"], math.floor((d["nextRequestAt"] - cur["timestamp"]) / 1000))
        self.assertIn(cur["data"]["ttc"], (48, 49))
        self.assertEqual({k: v for k, v in cur["data"].items() if k != "ttc"},
                         {k: v for k, v in d.items() if k != "ttc"})

    def test_failure_shapes_and_masking(self):
        status, body, _ = api(self.s, "current", key="Knotknown000000000000000000000000")
        self.assertEqual(status, 400)
        self.assertEqual(set(body), FAIL_KEYS)
        self.assertEqual((body["success"], body["code"], body["message"], body["status"], body["error"]),
                         (False, 40400006, "Key not found", "FAIL", "KEY_NOT_FOUND"))
        key = self.s.add_key()
        status, body, _ = api(self.s, "current", key=key)
        self.assertEqual(status, 400)
        self.assertEqual(set(body), FAIL_KEYS)
        self.assertEqual(body["error"], "PROXY_NOT_FOUND_BY_KEY")
        self.assertEqual(body["code"], 40001050)
        self.assertEqual(body["message"], f"Could not find the proxy being used by key {key[:8]}...{key[-6:]}")
        self.assertNotIn(key, json.dumps(body))
        self.assertEqual(mask_key(key), f"{key[:8]}...{key[-6:]}")
        self.s.expire_key(key)
        status, body, raw = api(self.s, "new", key=key, region="nam")
        self.assertEqual(status, 400)
        self.assertEqual(body["error"], "KEY_EXPIRED")
        self.assertEqual(body["message"], KEY_EXPIRED_MESSAGE)
        self.assertIn(KEY_EXPIRED_MESSAGE.encode("utf-8"), raw)
        self.assertNotIn("data", body)

    def test_business_status_switch(self):
        self.s.set(error_status=200)
        status, body, _ = api(self.s, "new", key="nope")
        self.assertEqual((status, body["error"]), (200, "KEY_NOT_FOUND"))
        self.s.set(error_status=400)
        status, body, _ = api(self.s, "new", key="nope")
        self.assertEqual((status, body["error"]), (400, "KEY_NOT_FOUND"))

    def test_regions(self):
        for region in ("bac", "trung", "nam"):
            key = self.s.add_key()
            _, body, _ = api(self.s, "new", key=key, region=region)
            self.assertIn(body["data"]["location"], LOCATIONS[region])
        key = self.s.add_key()
        status, body, _ = api(self.s, "new", key=key)  # region is optional
        self.assertEqual(status, 200)
        self.assertEqual(self.s.assignment(key)["region"], "random")
        key = self.s.add_key()
        status, body, _ = api(self.s, "new", key=key, region="hanoi")
        self.assertEqual(status, 400)
        self.assertFalse(body["success"])
        self.assertIsNone(self.s.assignment(key))

    def test_too_early_refuse_and_unchanged(self):
        key = self.s.add_key(change_interval=30)
        _, first, _ = api(self.s, "new", key=key, region="nam")
        self.s.advance(12)
        status, body, _ = api(self.s, "new", key=key, region="nam")
        self.assertEqual(status, 400)
        self.assertFalse(body["success"])
        self.assertIn("18", body["message"], "the refusal names the seconds left")
        self.assertNotIn("data", body)
        self.s.set_key(key, too_early="unchanged")
        status, body, _ = api(self.s, "new", key=key, region="nam")
        self.assertEqual(status, 200)
        self.assertEqual(body["data"]["realIpAddress"], first["data"]["realIpAddress"])
        self.assertEqual(body["data"]["httpPort"], first["data"]["httpPort"])
        self.assertEqual(len(self.s.history(key)), 1)
        self.s.advance(19)
        _, body, _ = api(self.s, "new", key=key, region="nam")
        self.assertNotEqual(body["data"]["realIpAddress"], first["data"]["realIpAddress"])
        self.assertEqual([h["ended"] for h in self.s.history(key)], ["replaced", None])

    def test_expiry_on_the_injected_clock(self):
        key = self.s.add_key(lifetime=20, change_interval=5)
        _, first, _ = api(self.s, "new", key=key)
        self.assertEqual(first["data"]["ttl"], 20)
        self.s.advance(19)
        self.assertEqual(api(self.s, "current", key=key)[0], 200)
        self.s.advance(1.5)
        status, body, _ = api(self.s, "current", key=key)
        self.assertEqual(body["error"], "PROXY_NOT_FOUND_BY_KEY")
        _, second, _ = api(self.s, "new", key=key)
        self.assertTrue(second["success"])
        self.assertNotEqual(second["data"]["realIpAddress"], first["data"]["realIpAddress"])
        self.assertEqual(self.s.history(key)[0]["ended"], "expired")

    def test_out(self):
        key = self.s.add_key()
        status, body, _ = api(self.s, "out", key=key)
        self.assertEqual((status, body["error"]), (400, "PROXY_NOT_FOUND_BY_KEY"))
        api(self.s, "new", key=key)
        status, body, _ = api(self.s, "out", key=key)
        self.assertEqual(status, 200)
        self.assertEqual(body["data"], True)
        self.assertEqual((body["success"], body["code"], body["status"]), (True, 200, "SUCCESS"))
        self.assertEqual(api(self.s, "current", key=key)[1]["error"], "PROXY_NOT_FOUND_BY_KEY")
        self.s.set(out_when_none="ok")
        self.assertEqual(api(self.s, "out", key=key)[0], 200)

    # ------------------------------------------------------------------ faults
    def test_faults(self):
        key = self.s.add_key()
        self.s.inject("status", status=429, count=2, retry_after=1)
        for _ in range(2):
            status, headers, _ = get(f"{self.s.base_url}/proxies/current?key={key}")
            self.assertEqual(status, 429)
            self.assertEqual(headers["Retry-After"], "1")
        self.assertEqual(get(f"{self.s.base_url}/proxies/current?key={key}")[0], 400)
        for code in (500, 502, 503):
            self.s.inject("status", status=code)
            status, headers, raw = get(f"{self.s.base_url}/proxies/current?key={key}")
            self.assertEqual(status, code)
            self.assertIn(b"<html>", raw)
        self.s.inject("latency", ms=400, path="current")
        t = time.monotonic()
        self.assertEqual(get(f"{self.s.base_url}/proxies/current?key={key}")[0], 400)
        self.assertGreaterEqual(time.monotonic() - t, 0.38)
        self.s.inject("malformed")
        status, _, raw = get(f"{self.s.base_url}/proxies/current?key={key}")
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(raw)
        self.s.inject("drop")
        with self.assertRaises(Exception):
            get(f"{self.s.base_url}/proxies/current?key={key}")
        # Path filter: a fault for /out leaves /current alone.
        self.s.inject("status", status=503, path="out")
        self.assertEqual(get(f"{self.s.base_url}/proxies/current?key={key}")[0], 400)
        self.assertEqual(get(f"{self.s.base_url}/proxies/out?key={key}")[0], 503)
        # process=True: the call takes effect, the answer is lost.
        self.s.inject("drop", path="new", process=True)
        with self.assertRaises(Exception):
            get(f"{self.s.base_url}/proxies/new?key={key}")
        self.assertIsNotNone(self.s.assignment(key))
        calls = self.s.calls
        self.assertEqual([c["fault"] for c in calls[:2]], ["status", "status"])
        self.assertEqual(calls[-1]["fault"], "drop")
        self.assertEqual(calls[-1]["key"], key)
        self.s.inject("raw", status=200, body={"success": True, "code": 200, "data": {"http": "1.2.3.4:70000"}})
        status, _, raw = get(f"{self.s.base_url}/proxies/current?key={key}")
        self.assertEqual(json.loads(raw)["data"]["http"], "1.2.3.4:70000")

    # ------------------------------------------------------------------ real proxies
    def test_proxies_carry_traffic_from_their_ip(self):
        k1, k2 = self.s.add_key(), self.s.add_key()
        d1 = api(self.s, "new", key=k1)[1]["data"]
        d2 = api(self.s, "new", key=k2)[1]["data"]
        self.assertNotEqual(d1["realIpAddress"], d2["realIpAddress"])
        o = self.origin.port
        for d in (d1, d2):
            ip = d["realIpAddress"]
            self.assertEqual(http_get_ip_via_absolute(ip, d["httpPort"], o), (200, ip))
            self.assertEqual(http_get_ip_via_connect(ip, d["httpPort"], o), (200, ip))
            self.assertEqual(socks5_get_ip(ip, d["socks5Port"], o), ("ok", ip))
        # urllib as an ordinary client of the HTTP proxy
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": "http://" + d1["http"]}))
        self.assertEqual(json.load(opener.open(f"http://127.0.0.1:{o}/ip", timeout=10))["ip"], d1["realIpAddress"])

    def test_proxies_stop_after_release_with_grace(self):
        key = self.s.add_key(change_interval=1)
        d = api(self.s, "new", key=key)[1]["data"]
        ip = d["realIpAddress"]
        self.s.advance(2)
        d2 = api(self.s, "new", key=key)[1]["data"]  # replaced: the old IP drains for `grace`
        self.assertEqual(http_get_ip_via_absolute(ip, d["httpPort"], self.origin.port), (200, ip))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (refused(ip, d["httpPort"]) and refused(ip, d["socks5Port"])):
            time.sleep(0.1)
        self.assertTrue(refused(ip, d["httpPort"]) and refused(ip, d["socks5Port"]), "old proxies must stop")
        self.assertEqual(socks5_get_ip(d2["realIpAddress"], d2["socks5Port"], self.origin.port),
                         ("ok", d2["realIpAddress"]))
        api(self.s, "out", key=key)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not refused(d2["realIpAddress"], d2["httpPort"]):
            time.sleep(0.1)
        self.assertTrue(refused(d2["realIpAddress"], d2["httpPort"]))

    def test_proxy_credentials(self):
        key = self.s.add_key(proxy_user="u1", proxy_pass="p@ss:1")
        d = api(self.s, "new", key=key)[1]["data"]
        self.assertEqual((d["proxyUser"], d["proxyPass"]), ("u1", "p@ss:1"))
        ip, o = d["realIpAddress"], self.origin.port
        self.assertEqual(http_get_ip_via_absolute(ip, d["httpPort"], o)[0], 407)
        self.assertEqual(http_get_ip_via_absolute(ip, d["httpPort"], o, auth="u1:p@ss:1"), (200, ip))
        self.assertEqual(socks5_get_ip(ip, d["socks5Port"], o)[0], "method-refused")
        self.assertEqual(socks5_get_ip(ip, d["socks5Port"], o, "u1", "p@ss:1"), ("ok", ip))


class StandinProcessTest(unittest.TestCase):
    """The CLI and the /_control API, as a test in another process uses them."""

    def control(self, port, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/_control/{path}", data=data,
                                     headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def test_cli_and_control_api(self):
        proc = subprocess.Popen([sys.executable, os.path.join(SUPPORT, "kiotproxy_standin.py"), "--port", "0",
                                 "--change-interval", "5", "--lifetime", "30"],
                                stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline().strip()
            self.assertRegex(line, r"^READY \d+$")
            port = int(line.split()[1])
            base = f"http://127.0.0.1:{port}/api/v1/proxies"
            key = self.control(port, "keys", {"lifetime": 10})["key"]
            status, _, raw = get(f"{base}/new?key={key}&region=trung")
            body = json.loads(raw)
            self.assertEqual(status, 200)
            self.assertEqual(body["data"]["ttl"], 10)
            self.assertIn(body["data"]["location"], LOCATIONS["trung"])
            self.assertEqual(json.loads(get(f"{base}/new?key={key}")[2])["success"], False)  # too early
            self.control(port, "keys/options", {"key": key, "too_early": "unchanged"})
            self.assertEqual(json.loads(get(f"{base}/new?key={key}")[2])["data"]["realIpAddress"],
                             body["data"]["realIpAddress"])
            self.control(port, "clock", {"advance_seconds": 11})
            self.assertEqual(json.loads(get(f"{base}/current?key={key}")[2])["error"], "PROXY_NOT_FOUND_BY_KEY")
            self.control(port, "faults", {"faults": [{"kind": "status", "status": 502, "count": 1}]})
            self.assertEqual(get(f"{base}/current?key={key}")[0], 502)
            self.control(port, "settings", {"error_status": 200})
            self.assertEqual(get(f"{base}/current?key={key}")[0], 200)
            self.control(port, "keys/expire", {"key": key})
            self.assertEqual(json.loads(get(f"{base}/new?key={key}")[2])["message"], KEY_EXPIRED_MESSAGE)
            calls = self.control(port, "calls")["calls"]
            self.assertEqual([c["path"] for c in calls], ["new", "new", "new", "current", "current", "current", "new"])
            self.assertEqual(calls[4]["status"], 502)
            state = self.control(port, "state")
            self.assertIn(key, state["keys"])
            self.assertEqual(state["offset_ms"], 11000)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            proc.stdout.close()
        self.assertEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
