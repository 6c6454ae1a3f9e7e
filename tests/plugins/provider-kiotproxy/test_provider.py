#!/usr/bin/env python3
"""provider.kiotproxy against the KiotProxy stand-in running as its own process.

Every call goes through kiotproxy_driver, which loads the REAL built plugin
(<STEADYPROXY_PLUGIN_DIR>/provider.kiotproxy.so) the way the kernel does and prints the
lease or the error kind as JSON. Every run is also checked for the full key leaking into
the answer or the logs."""
import json
import os
import socket
import subprocess
import time
import unittest

import sp_testnet
from kiotproxy_standin import KEY_EXPIRED_MESSAGE, LOCATIONS, StandinProcess

BUILD = os.environ.get("STEADYPROXY_BUILD_DIR", "")
DRIVER = os.path.join(BUILD, "bin", "kiotproxy_driver")


def closed_port():
    """A loopback port nobody listens on (bound, never listened, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_ip_via_http_proxy(host, port, origin_port, auth=None):
    import base64
    with socket.create_connection((host, port), timeout=10) as c:
        head = f"GET http://127.0.0.1:{origin_port}/ip HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if auth:
            head += "Proxy-Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
        c.sendall((head + "\r\n").encode())
        data = b""
        while b"}" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data.split(b"\r\n\r\n", 1)[1])["ip"]


def get_ip_via_socks5(host, port, origin_port):
    with socket.create_connection((host, port), timeout=10) as c:
        c.sendall(b"\x05\x01\x00")
        assert c.recv(2) == b"\x05\x00"
        c.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + origin_port.to_bytes(2, "big"))
        assert c.recv(10)[1] == 0
        c.sendall(b"GET /ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while b"}" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data.split(b"\r\n\r\n", 1)[1])["ip"]


class ProviderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(DRIVER):
            raise AssertionError(f"{DRIVER} is not built: build the kiotproxy_driver target")
        cls.origin = sp_testnet.Origin("127.0.0.1").start()

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()

    def setUp(self):
        self.s = StandinProcess("--change-interval", "30", "--lifetime", "1200", "--grace", "0.5").start()
        self.addCleanup(self.s.stop)

    def run_driver(self, op, key=None, region=None, env=None, timeout=60, **settings):
        """Runs one provider call; returns the parsed JSON answer. Asserts no key leaks."""
        args = [DRIVER, op]
        if key is not None:
            args += ["--key", key]
        if region is not None:
            args += ["--region", region]
        settings.setdefault("api_base", self.s.base_url)
        for k, v in settings.items():
            if v is not None:
                args += ["--set", f"{k}={v}"]
        e = dict(os.environ)
        e.pop("KIOTPROXY_API_BASE", None)
        e.update(env or {})
        p = subprocess.run(args, capture_output=True, timeout=timeout, env=e)
        out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, f"driver failed: {err}")
        if key and len(key) >= 20:
            self.assertNotIn(key, out, "the key leaked into the answer or an error message")
            self.assertNotIn(key, err, "the key leaked into the logs")
        answer = json.loads(out)
        answer["_log"] = err
        return answer

    def assertError(self, answer, kind):
        self.assertFalse(answer["ok"], f"expected {kind}, got {answer}")
        self.assertEqual(answer["error"].get("kind"), kind, answer["error"])
        return answer["error"]

    def assertLeaseMatches(self, lease, assignment, region):
        self.assertEqual(lease["realIp"], assignment["realIpAddress"])
        self.assertEqual(lease["http"]["host"], assignment["realIpAddress"])
        self.assertEqual(lease["http"]["port"], assignment["httpPort"])
        self.assertEqual(lease["http"]["kind"], "http")
        self.assertEqual(lease["socks5"]["port"], assignment["socks5Port"])
        self.assertEqual(lease["socks5"]["kind"], "socks5")
        self.assertEqual(lease["location"], assignment["location"])
        self.assertEqual(lease["expiresAt"], assignment["expirationAt"])
        self.assertEqual(lease["nextChangeAt"], assignment["nextRequestAt"])
        self.assertEqual(lease["ttlSeconds"], assignment["ttl"])
        self.assertEqual(lease["region"], region)

    # ------------------------------------------------------------------ configuration
    def test_options_regions_and_env(self):
        a = self.run_driver("options")
        opts = {o["key"]: o for o in a["options"]}
        self.assertEqual(set(opts), {"api_base", "timeout_ms", "retries", "release_on_delete"})
        self.assertEqual(opts["api_base"]["default"], "https://api.kiotproxy.com/api/v1")
        self.assertEqual(opts["api_base"]["env"], "KIOTPROXY_API_BASE")
        self.assertEqual(opts["timeout_ms"]["default"], "10000")
        self.assertEqual(opts["retries"]["default"], "3")
        self.assertEqual(opts["release_on_delete"]["default"], "true")
        self.assertEqual(a["regions"], ["bac", "trung", "nam", "random"])
        # KIOTPROXY_API_BASE reaches the stand-in when the file names no api_base.
        key = self.s.add_key()
        a = self.run_driver("acquire", key, "nam", env={"KIOTPROXY_API_BASE": self.s.base_url}, api_base=None)
        self.assertTrue(a["ok"], a)
        self.assertEqual(len(self.s.calls_to("new")), 1)

    def test_config_errors(self):
        a = self.run_driver("info", api_base="ftp://example.com/api")
        self.assertEqual(a["error"]["type"], "ConfigError")
        self.assertEqual(a["error"]["key"], "plugins.provider.kiotproxy.api_base")
        a = self.run_driver("info", timeout_ms="5")
        self.assertEqual(a["error"]["type"], "ConfigError")
        self.assertIn("timeout_ms", a["error"]["key"])
        self.assertTrue(self.run_driver("info", api_base="https://api.kiotproxy.com/api/v1/")["ok"])

    def test_validate_secret(self):
        good = "K" + "0123456789abcdef" * 2
        self.assertTrue(self.run_driver("validate", good)["ok"])
        self.assertTrue(self.run_driver("validate", "other-Key_form.123")["ok"])
        for bad, says in (("", "empty"), ("K0123456789abcdef0123456789abcde f", "whitespace"),
                          ("K0123456789abcdef\n0123456789abcdef", "whitespace"),
                          ("K0123456789abcdef\x01123456789abcdef", "control"),
                          ("K0123456789abcdefé23456789abcdef", "non-ASCII")):
            a = self.run_driver("validate", bad)
            self.assertFalse(a["ok"], repr(bad))
            self.assertEqual(a["error"]["type"], "ValidationError")
            self.assertEqual(a["error"]["field"], "secret")
            self.assertIn(says, a["error"]["message"])
            if bad:
                self.assertNotIn(bad, a["error"]["message"])

    # ------------------------------------------------------------------ the normal flow
    def test_fresh_key_then_acquire(self):
        key = self.s.add_key()
        a = self.run_driver("current", key)
        self.assertTrue(a["ok"], a)
        self.assertIsNone(a["lease"])
        a = self.run_driver("acquire", key, "bac")
        self.assertTrue(a["ok"], a)
        lease = a["lease"]
        assignment = self.s.assignment(key)
        self.assertLeaseMatches(lease, assignment, "bac")
        self.assertIn(lease["location"], LOCATIONS["bac"])
        self.assertLess(abs(lease["obtainedAt"] - a["now"]), 5000)
        self.assertEqual([h["ip"] for h in self.s.history(key)], [lease["realIp"]])
        new_calls = self.s.calls_to("new")
        self.assertEqual(len(new_calls), 1)
        self.assertEqual(new_calls[0]["region"], "bac")
        self.assertEqual(new_calls[0]["key"], key)
        self.assertNotIn("region", self.s.calls_to("current")[0]["query"], "clients send no region to /current")
        # The lease's addresses really carry traffic, leaving from the real IP.
        self.assertEqual(get_ip_via_http_proxy(lease["http"]["host"], lease["http"]["port"], self.origin.port),
                         lease["realIp"])
        self.assertEqual(get_ip_via_socks5(lease["socks5"]["host"], lease["socks5"]["port"], self.origin.port),
                         lease["realIp"])

    def test_key_with_current_proxy(self):
        key = self.s.add_key()
        assignment = self.s.assign_now(key, "trung")
        a = self.run_driver("current", key, "trung")
        self.assertTrue(a["ok"], a)
        self.assertLeaseMatches(a["lease"], assignment, "trung")
        self.assertEqual(len(self.s.calls_to("new")), 0, "current() must not ask for a new proxy")

    def test_region_default_and_unknown(self):
        key = self.s.add_key()
        a = self.run_driver("acquire", key, "")
        self.assertTrue(a["ok"], a)
        self.assertEqual(self.s.calls_to("new")[0]["region"], "random")
        a = self.run_driver("acquire", self.s.add_key(), "hanoi")
        self.assertError(a, "Rejected")
        self.assertIn("bac, trung, nam or random", a["error"]["message"])
        self.assertEqual(len(self.s.calls_to("new")), 1, "an unknown region is refused before any call")

    def test_rotation_after_change_interval_and_expiry(self):
        key = self.s.add_key(change_interval=5, lifetime=60)
        first = self.run_driver("acquire", key, "nam")["lease"]
        self.s.advance(6)
        second = self.run_driver("acquire", key, "nam")
        self.assertTrue(second["ok"], second)
        self.assertNotEqual(second["lease"]["realIp"], first["realIp"])
        self.s.advance(61)
        a = self.run_driver("current", key, "nam")
        self.assertTrue(a["ok"])
        self.assertIsNone(a["lease"], "after expirationAt there is no current proxy")
        third = self.run_driver("acquire", key, "nam")
        self.assertTrue(third["ok"], third)
        self.assertNotIn(third["lease"]["realIp"], (first["realIp"], second["lease"]["realIp"]))

    # ------------------------------------------------------------------ too early
    def test_too_early_refused_with_seconds(self):
        key = self.s.add_key()
        first = self.run_driver("acquire", key, "nam")
        self.s.advance(10)
        a = self.run_driver("acquire", key, "nam")
        err = self.assertError(a, "TooEarly")
        self.assertIn("Bạn chỉ có thể đổi proxy sau 20 giây nữa", err["message"])
        self.assertAlmostEqual(err["retryAt"], a["now"] + 20000, delta=2500)
        self.assertFalse(err["permanent"])
        self.assertEqual(self.s.assignment(key)["realIpAddress"], first["lease"]["realIp"])

    def test_too_early_refused_without_seconds(self):
        key = self.s.add_key()
        self.s.set(too_early_message="Not allowed yet", too_early_error="SOME_UNKNOWN_REFUSAL", too_early_code=1)
        self.run_driver("acquire", key, "bac")
        self.s.advance(5)
        a = self.run_driver("acquire", key, "bac")
        err = self.assertError(a, "TooEarly")
        self.assertIn("Not allowed yet", err["message"])
        # retryAt comes from /current's nextRequestAt (25 s left on the stand-in's clock).
        self.assertAlmostEqual(err["retryAt"], a["now"] + 25000, delta=2500)
        self.assertEqual(len(self.s.calls_to("new")), 2)

    def test_too_early_unchanged(self):
        key = self.s.add_key(too_early="unchanged")
        first = self.run_driver("acquire", key, "nam")["lease"]
        self.s.advance(3)
        a = self.run_driver("acquire", key, "nam")
        self.assertTrue(a["ok"], a)
        for f in ("realIp", "http", "socks5", "expiresAt", "nextChangeAt", "location"):
            self.assertEqual(a["lease"][f], first[f], f)
        self.assertEqual(len(self.s.history(key)), 1)

    # ------------------------------------------------------------------ permanent errors
    def test_key_not_found(self):
        key = "K" + "f" * 32
        for op in ("current", "acquire"):
            err = self.assertError(self.run_driver(op, key, "nam"), "KeyNotFound")
            self.assertTrue(err["permanent"])
            self.assertIn("Key not found", err["message"])
            self.assertIn("Kfffffff...ffffff", err["message"])
        self.assertTrue(self.run_driver("release", key)["ok"], "release must not throw for an unknown key")

    def test_key_expired_message_verbatim(self):
        key = self.s.add_key()
        self.run_driver("acquire", key, "nam")
        self.s.expire_key(key)
        for op in ("acquire", "current"):
            err = self.assertError(self.run_driver(op, key, "nam"), "KeyExpired")
            self.assertIn(KEY_EXPIRED_MESSAGE, err["message"])
            self.assertTrue(err["permanent"])

    def test_key_expired_recognised_by_message(self):
        key = self.s.add_key()
        self.s.inject("raw", status=400, path="new", body={
            "success": False, "code": 40000099, "message": KEY_EXPIRED_MESSAGE, "timestamp": 1718032727635,
            "status": "FAIL", "error": "SOMETHING_ELSE"})
        err = self.assertError(self.run_driver("acquire", key, "nam"), "KeyExpired")
        self.assertIn(KEY_EXPIRED_MESSAGE, err["message"])

    def test_business_errors_with_http_200(self):
        self.s.set(error_status=200)
        err = self.assertError(self.run_driver("acquire", "K" + "e" * 32, "nam"), "KeyNotFound")
        key = self.s.add_key()
        a = self.run_driver("current", key)
        self.assertTrue(a["ok"], a)
        self.assertIsNone(a["lease"])
        self.assertTrue(self.run_driver("acquire", key, "nam")["ok"])
        self.assertError(self.run_driver("acquire", key, "nam"), "TooEarly")
        self.s.expire_key(key)
        err = self.assertError(self.run_driver("acquire", key, "nam"), "KeyExpired")
        self.assertIn(KEY_EXPIRED_MESSAGE, err["message"])
        self.assertTrue(all(c["status"] == 200 for c in self.s.calls))

    # ------------------------------------------------------------------ transient faults
    def test_429_and_5xx_then_recovery(self):
        key = self.s.add_key()
        self.s.inject("status", status=429, count=2)
        a = self.run_driver("acquire", key, "nam")
        self.assertTrue(a["ok"], a)
        self.assertEqual([c["status"] for c in self.s.calls_to("new")], [429, 429, 200])
        for code in (500, 502, 503):
            key = self.s.add_key()
            self.s.clear_calls()
            self.s.inject("status", status=code, count=1, path="new")
            a = self.run_driver("acquire", key, "trung")
            self.assertTrue(a["ok"], a)
            self.assertEqual(len(self.s.history(key)), 1, "one proxy handed out, not two")
            self.assertLeaseMatches(a["lease"], self.s.assignment(key), "trung")
            self.assertIn(f"HTTP {code}", a["_log"], "the retry is logged")
        key = self.s.add_key()
        self.s.assign_now(key)
        self.s.inject("status", status=502, count=3)
        a = self.run_driver("current", key)
        self.assertTrue(a["ok"], a)
        self.assertIsNotNone(a["lease"])

    def test_5xx_beyond_retries_is_transient(self):
        key = self.s.add_key()
        self.s.inject("status", status=503, count=10)
        a = self.run_driver("acquire", key, "nam", retries=2, timeout_ms=8000)
        err = self.assertError(a, "Transient")
        self.assertIn("HTTP 503", err["message"])
        self.assertIn("3 time(s)", err["message"])
        self.assertFalse(err["permanent"])
        self.assertEqual(len(self.s.calls), 3)
        self.assertLess(a["elapsedMs"], 8000)

    def test_429_retry_after_beyond_timeout(self):
        key = self.s.add_key()
        self.s.inject("status", status=429, count=5, retry_after=30)
        a = self.run_driver("acquire", key, "nam", timeout_ms=2000)
        err = self.assertError(a, "Transient")
        self.assertIn("429", err["message"])
        self.assertLess(a["elapsedMs"], 2000)
        self.assertAlmostEqual(err["retryAt"], a["now"] + 30000, delta=3000)

    def test_api_down(self):
        port = closed_port()
        key = "K" + "a" * 32
        a = self.run_driver("acquire", key, "nam", api_base=f"http://127.0.0.1:{port}/api/v1", timeout_ms=1500)
        err = self.assertError(a, "Transient")
        self.assertIn("refused", err["message"])
        self.assertLess(a["elapsedMs"], 1500 + 500)
        a = self.run_driver("current", key, api_base=f"http://127.0.0.1:{port}/api/v1", timeout_ms=1500)
        self.assertError(a, "Transient")

    def test_api_silent_times_out(self):
        key = self.s.add_key()
        self.s.inject("latency", ms=5000, count=5)
        t = time.monotonic()
        a = self.run_driver("acquire", key, "nam", timeout_ms=1200)
        err = self.assertError(a, "Transient")
        self.assertLess(a["elapsedMs"], 1200 + 500)
        self.assertLess(time.monotonic() - t, 5)
        self.assertIn("no answer", err["message"])

    def test_latency_within_timeout(self):
        key = self.s.add_key()
        self.s.inject("latency", ms=400, count=1)
        a = self.run_driver("acquire", key, "nam", timeout_ms=3000)
        self.assertTrue(a["ok"], a)
        self.assertGreaterEqual(a["elapsedMs"], 380)

    def test_malformed_json(self):
        key = self.s.add_key()
        self.s.inject("malformed", count=1, path="new")
        a = self.run_driver("acquire", key, "nam")
        self.assertTrue(a["ok"], a)
        self.assertEqual(len(self.s.history(key)), 1)
        key = self.s.add_key()
        self.s.inject("malformed", count=10)
        err = self.assertError(self.run_driver("acquire", key, "nam", retries=1), "Transient")
        self.assertIn("not valid JSON", err["message"])

    def test_dropped_connection(self):
        key = self.s.add_key()
        self.s.inject("drop", count=1)
        a = self.run_driver("acquire", key, "nam")
        self.assertTrue(a["ok"], a)
        key = self.s.add_key()
        self.s.inject("drop", count=10)
        err = self.assertError(self.run_driver("acquire", key, "nam", retries=2), "Transient")
        self.assertIn("closed", err["message"])

    def test_lost_answer_does_not_change_the_proxy_twice(self):
        # /new takes effect but its answer is lost: the provider must not call /new again
        # (that would change the IP twice, or be refused as too early).
        for kind in ("drop", "malformed"):
            key = self.s.add_key()
            self.s.inject(kind, count=1, path="new", process=True)
            a = self.run_driver("acquire", key, "nam")
            self.assertTrue(a["ok"], a)
            self.assertEqual(len(self.s.history(key)), 1, kind)
            self.assertLeaseMatches(a["lease"], self.s.assignment(key), "nam")

    def test_invalid_success_answers(self):
        key = self.s.add_key()
        good = self.s.assign_now(key)
        cases = [
            ({**good, "http": f"{good['realIpAddress']}:70000", "httpPort": 70000}, "1..65535"),
            ({k: v for k, v in good.items() if k != "expirationAt"}, "expirationAt is missing"),
            ({**good, "nextRequestAt": str(good["nextRequestAt"])}, "nextRequestAt is a string"),
            ({**good, "realIpAddress": "not-an-ip"}, "realIpAddress"),
            ({**good, "expirationAt": good["expirationAt"] // 1000}, "epoch milliseconds"),
            ({k: v for k, v in good.items() if k not in ("http", "httpPort")}, "data.http is missing"),
        ]
        for data, says in cases:
            data = {k: v for k, v in data.items() if k not in ("region", "assignedAt")}
            self.s.inject("raw", count=10, status=200,
                          body={"data": data, "success": True, "code": 200, "timestamp": good["assignedAt"],
                                "status": "SUCCESS"})
            err = self.assertError(self.run_driver("current", key, retries=1), "Transient")
            self.assertIn(says, err["message"])
            self.s.clear_faults()

    def test_wrong_api_base_is_rejected(self):
        key = self.s.add_key()
        err = self.assertError(self.run_driver("current", key, api_base=self.s.base_url + "/wrong"), "Rejected")
        self.assertIn("api_base", err["message"])
        self.assertIn("404", err["message"])

    # ------------------------------------------------------------------ release and options
    def test_release(self):
        key = self.s.add_key()
        self.run_driver("acquire", key, "nam")
        self.assertTrue(self.run_driver("release", key)["ok"])
        self.assertIsNone(self.s.assignment(key))
        self.assertEqual(self.s.history(key)[0]["ended"], "released")
        a = self.run_driver("release", key)  # nothing assigned: PROXY_NOT_FOUND_BY_KEY
        self.assertTrue(a["ok"], a)
        self.assertEqual(len(self.s.calls_to("out")), 2)
        self.s.expire_key(key)
        self.assertTrue(self.run_driver("release", key)["ok"])
        key2 = self.s.add_key()
        self.run_driver("acquire", key2, "nam")
        self.assertTrue(self.run_driver("release", key2, release_on_delete="false")["ok"])
        self.assertIsNotNone(self.s.assignment(key2), "release_on_delete=false keeps the proxy")
        self.assertEqual(len(self.s.calls_to("out")), 3)
        self.s.inject("status", status=503, count=1, path="out")
        self.assertTrue(self.run_driver("release", key2)["ok"])
        self.assertIsNone(self.s.assignment(key2))

    def test_both_addresses_and_missing_ones(self):
        key = self.s.add_key()
        a = self.run_driver("acquire", key, "nam")
        self.assertTrue(a["ok"], a)
        self.assertTrue(a["lease"]["hasHttp"] and a["lease"]["hasSocks5"], "both addresses are filled")
        good = self.s.assignment(key)
        # without socks5 the lease still works over HTTP
        data = {k: v for k, v in good.items() if k not in ("socks5", "socks5Port", "region", "assignedAt")}
        self.s.inject("raw", count=1, body={"data": data, "success": True, "code": 200, "status": "SUCCESS"})
        a = self.run_driver("current", key, retries=0)
        self.assertTrue(a["ok"], a)
        self.assertFalse(a["lease"]["hasSocks5"])
        # without the http address the answer is incomplete
        data = {k: v for k, v in good.items() if k not in ("http", "httpPort", "region", "assignedAt")}
        self.s.inject("raw", count=10, body={"data": data, "success": True, "code": 200, "status": "SUCCESS"})
        err = self.assertError(self.run_driver("current", key, retries=0), "Transient")
        self.assertIn("http", err["message"])
        self.s.clear_faults()

    def test_proxy_credentials(self):
        key = self.s.add_key(proxy_user="kiot-user", proxy_pass="s3cr:t@")
        a = self.run_driver("acquire", key, "nam")
        self.assertTrue(a["ok"], a)
        for side in ("http", "socks5"):
            self.assertEqual((a["lease"][side]["username"], a["lease"][side]["password"]), ("kiot-user", "s3cr:t@"))
        self.assertNotIn("s3cr", a["lease"]["http"]["describe"])
        lease = a["lease"]
        self.assertEqual(get_ip_via_http_proxy(lease["http"]["host"], lease["http"]["port"], self.origin.port,
                                               auth="kiot-user:s3cr:t@"), lease["realIp"])

    def test_secret_never_in_messages(self):
        key = self.s.add_key()
        # A provider answer that quotes the whole key is masked before it reaches a message.
        self.s.inject("raw", status=400, path="new", body={
            "success": False, "code": 49999999, "message": f"Something odd with key {key}", "status": "FAIL",
            "error": "ODD"})
        a = self.run_driver("acquire", key, "nam")  # run_driver asserts the key is nowhere
        err = self.assertError(a, "Rejected")
        self.assertIn(f"{key[:8]}...{key[-6:]}", err["message"])
        self.s.inject("status", status=500, count=10)
        self.assertError(self.run_driver("acquire", key, "nam", retries=1), "Transient")


if __name__ == "__main__":
    unittest.main(verbosity=2)
