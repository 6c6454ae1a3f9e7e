#!/usr/bin/env python3
"""provider.http-api against "RotaProxy", a stand-in second vendor whose API looks nothing
like KiotProxy's, configured ONLY by the YAML example in docs/providers.md (read from the
doc, so the doc's example is what is proven).

Every provider call goes through http_api_driver, which loads the REAL built plugin
(<STEADYPROXY_PLUGIN_DIR>/provider.http-api.so) the way the kernel does and prints the
lease or the error kind as JSON. Every run is checked for the full key leaking into the
answer or the logs. The kernel itself is run once on the doc's YAML (config validate,
plugins, key add)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rotaproxy_standin import RotaProxyStandin  # noqa: E402

BUILD = os.environ.get("STEADYPROXY_BUILD_DIR", "")
SOURCE = os.environ.get("STEADYPROXY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DRIVER = os.path.join(BUILD, "bin", "http_api_driver")
DOC = os.path.join(SOURCE, "docs", "providers.md")
KEY = "rp_live_4f9c2e71b8a0d3c6e5f4a9b8c7d6e5f4"      # 40 characters: masks as rp_live_...d6e5f4
MASK = KEY[:8] + "..." + KEY[-6:]


def doc_text():
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def doc_block(marker):
    """The first fenced YAML block after `marker` in docs/providers.md, verbatim."""
    text = doc_text()
    at = text.find(marker)
    if at < 0:
        raise AssertionError(f"docs/providers.md has no {marker!r}")
    m = re.compile(r"```yaml\n(.*?)```", re.S).search(text, at)
    if not m:
        raise AssertionError(f"no ```yaml block after {marker!r} in docs/providers.md")
    return m.group(1)


def expand(value, env):
    """${VAR} / ${VAR:-default} as the kernel's Config expands scalars."""
    def one(m):
        name, _, fallback = m.group(1).partition(":-")
        got = env.get(name, os.environ.get(name))
        return got if got else fallback
    return re.sub(r"\$\{([^}]*)\}", one, value)


def flatten(node, prefix, out, env):
    """YAML -> the flat `a.b[0]` keys the kernel hands a plugin."""
    if isinstance(node, dict):
        for k, v in node.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out, env)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            flatten(v, f"{prefix}[{i}]", out, env)
    elif isinstance(node, bool):
        out[prefix] = "true" if node else "false"
    elif node is None:
        out[prefix] = ""
    else:
        out[prefix] = expand(str(node), env)
    return out


class HttpApiProviderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(DRIVER):
            raise AssertionError(f"{DRIVER} is not built: build the http_api_driver target")
        cls.doc_yaml = doc_block("<!-- example: rotaproxy")
        cls.doc_config = yaml.safe_load(cls.doc_yaml)

    def setUp(self):
        self.s = RotaProxyStandin(lifetime=1200, interval=30).start()
        self.addCleanup(self.s.stop)
        self.s.add_key(KEY)
        section = self.doc_config["plugins"]["provider.http-api"]
        self.settings = flatten(section, "", {}, {"ROTAPROXY_API": self.s.base_url})

    # ------------------------------------------------------------------ helpers
    def run_driver(self, op, key=KEY, region=None, drop=(), timeout=60, settings=None, **overrides):
        args = [DRIVER, op]
        if key is not None:
            args += ["--key", key]
        if region is not None:
            args += ["--region", region]
        values = dict(self.settings if settings is None else settings)
        for prefix in drop:
            values = {k: v for k, v in values.items() if k != prefix and not k.startswith(prefix + "[")}
        values.update(overrides)
        for k, v in values.items():
            args += ["--set", f"{k}={v}"]
        started = time.monotonic()
        p = subprocess.run(args, capture_output=True, timeout=timeout)
        out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, f"driver failed: {err}")
        if key and len(key) >= 20:
            self.assertNotIn(key, out, "the key leaked into the answer or an error message")
            self.assertNotIn(key, err, "the key leaked into the logs")
        answer = json.loads(out)
        answer["_log"] = err
        answer["_wall"] = time.monotonic() - started
        return answer

    def assertError(self, answer, kind):
        self.assertFalse(answer["ok"], f"expected {kind}, got {answer}")
        self.assertEqual(answer["error"].get("kind"), kind, answer["error"])
        return answer["error"]

    def calls(self, path):
        return [r for r in self.s.requests if r["path"] == path]

    def assertLeaseIsAssigned(self, lease, region="eu"):
        p = self.s.assigned(KEY)
        self.assertIsNotNone(p, "the stand-in assigned nothing")
        self.assertFalse(lease["hasHttp"])
        self.assertTrue(lease["hasSocks5"])
        u = lease["socks5"]
        self.assertEqual((u["kind"], u["host"], u["port"]), ("socks5", p["host"], p["port"]))
        self.assertEqual((u["username"], u["password"]), (p["user"], p["pass"]))
        self.assertEqual(lease["realIp"], p["exit_ip"])
        self.assertEqual(lease["location"], p["city"])
        self.assertEqual(lease["region"], region)
        # valid_until is sent with millisecond precision: the lease must carry it exactly.
        self.assertEqual(lease["expiresAt"], int(p["valid_until"] * 1000))
        return p

    # ------------------------------------------------------------------ the doc
    def test_doc_example_is_a_loadable_configuration(self):
        self.assertIn("provider.http-api", self.doc_config["plugins"]["load"])
        opts = self.run_driver("options", key=None)
        self.assertTrue(opts["ok"], opts)
        known = {o["key"] for o in opts["options"]}
        used = {re.sub(r"\[\d+\]$", "", k) for k in self.settings}
        self.assertFalse(used - known, f"the doc's example uses keys the plugin does not declare: {used - known}")
        doc = doc_text()
        undocumented = [k for k in known if f"`{k}`" not in doc]
        self.assertFalse(undocumented, f"docs/providers.md does not explain {undocumented}")
        required = [o["key"] for o in opts["options"] if o["required"]]
        self.assertEqual(required, ["new_url"])
        info = self.run_driver("info")
        self.assertTrue(info["ok"], info)
        self.assertIn("RotaProxy API", info["_log"])

    # ------------------------------------------------------------------ success
    def test_acquire_reads_every_field_of_the_answer(self):
        a = self.run_driver("acquire", region="eu")
        self.assertTrue(a["ok"], a)
        lease = a["lease"]
        self.assertLeaseIsAssigned(lease)
        self.assertEqual(lease["location"], "Zürich")
        # next_rotation_in is 30 s from the answer; ttl defaults to what is left until expiry.
        self.assertAlmostEqual(lease["nextChangeAt"], a["now"] + 30000, delta=2500)
        self.assertAlmostEqual(lease["ttlSeconds"], 1200, delta=3)
        (req,) = self.calls("/v2/rotate")
        self.assertEqual(req["method"], "POST")
        self.assertTrue(req["headers"].get("Content-Type", "").startswith("application/json"))
        self.assertEqual(json.loads(req["body"]), {"api_key": KEY, "pool": "eu"})
        self.assertIn(MASK, a["_log"])

    def test_placeholders_are_json_escaped_in_the_body(self):
        odd = 'rp"odd\\key/é0123456789abcdef'
        self.s.add_key(odd)
        a = self.run_driver("acquire", key=odd, region="asia")
        self.assertTrue(a["ok"], a)
        self.assertEqual(a["lease"]["location"], "Đà Nẵng")
        self.assertEqual(json.loads(self.calls("/v2/rotate")[0]["body"])["api_key"], odd)

    def test_placeholders_are_percent_encoded_in_urls(self):
        get_only = ("body_template", "current_url", "release_url")
        a = self.run_driver("acquire", region="eu", method="GET", drop=get_only,
                            new_url=self.s.base_url + "/v2/rotate?api_key={key}&pool={region}")
        # The stand-in refuses GET (E_METHOD): what matters here is what was sent.
        self.assertEqual(a["error"]["kind"], "Rejected", a)
        self.assertEqual([(r["method"], r["path"]) for r in self.s.requests],
                         [("GET", "/v2/rotate?api_key=rp_live_4f9c2e71b8a0d3c6e5f4a9b8c7d6e5f4&pool=eu")])
        self.s.requests.clear()
        self.run_driver("acquire", key="k y/&=?#%é-0123456789ab", region="eu", method="GET", drop=get_only,
                        new_url=self.s.base_url + "/v2/rotate?api_key={key}&pool={region}")
        self.assertEqual(self.s.requests[0]["path"],
                         "/v2/rotate?api_key=k%20y%2F%26%3D%3F%23%25%C3%A9-0123456789ab&pool=eu")

    def test_current_after_acquire_and_without_a_proxy(self):
        c = self.run_driver("current")
        self.assertTrue(c["ok"], c)
        self.assertIsNone(c["lease"], "E_NO_PROXY (errors.no_lease) means no lease")
        self.assertTrue(self.run_driver("acquire", region="us")["ok"])
        c = self.run_driver("current", region="us")
        self.assertTrue(c["ok"], c)
        self.assertLeaseIsAssigned(c["lease"], region="us")

    def test_release(self):
        self.assertTrue(self.run_driver("acquire", region="eu")["ok"])
        r = self.run_driver("release")
        self.assertTrue(r["ok"], r)
        self.assertIsNone(self.s.assigned(KEY))
        self.assertEqual(len(self.calls("/v2/release")), 1)
        again = self.run_driver("release")
        self.assertTrue(again["ok"], f"nothing to release must not fail: {again}")
        self.assertIn("nothing to release", again["_log"])
        unknown = self.run_driver("release", key="rp_live_unknown_000000000000000000")
        self.assertTrue(unknown["ok"], unknown)
        none = self.run_driver("release", drop=("release_url",))
        self.assertTrue(none["ok"], none)
        self.assertIn("no release_url", none["_log"])
        self.assertEqual(len(self.calls("/v2/release")), 3)

    # ------------------------------------------------------------------ error mappings
    def test_key_not_found(self):
        other = "rp_live_ffffffffffffffffffffffffffff0000"
        e = self.assertError(self.run_driver("acquire", key=other, region="eu"), "KeyNotFound")
        self.assertTrue(e["permanent"])
        self.assertIn("RotaProxy does not know the key rp_live_...ff0000", e["message"])
        self.assertIn("E_KEY", e["message"])
        self.assertIn("HTTP 403", e["message"])
        self.assertEqual(len(self.calls("/v2/rotate")), 1, "a business error is not retried")
        self.assertError(self.run_driver("current", key=other), "KeyNotFound")

    def test_key_expired(self):
        self.s.add_key(KEY, expired=True)
        e = self.assertError(self.run_driver("acquire", region="eu"), "KeyExpired")
        self.assertTrue(e["permanent"])
        self.assertIn("Your subscription ended on 2026-01-31", e["message"])
        self.assertIn(MASK, e["message"])

    def test_key_expired_by_message_fragment(self):
        # errors.key_expired lists "subscription ended": a message fragment matches too.
        self.s.add_key(KEY, expired=True)
        e = self.assertError(self.run_driver("acquire", region="eu", **{"errors.key_expired[0]": "E_NOPE"}),
                             "KeyExpired")
        self.assertIn("subscription ended", e["message"].lower())

    def test_too_early(self):
        first = self.run_driver("acquire", region="eu")
        self.assertTrue(first["ok"], first)
        e = self.assertError(self.run_driver("acquire", region="eu"), "TooEarly")
        # "rotation allowed in N s" names the wait; retryAt is about 30 s after the first lease.
        self.assertAlmostEqual(e["retryAt"], first["lease"]["nextChangeAt"], delta=2500)
        self.assertIn("E_TOO_SOON", e["message"])
        self.assertEqual(len(self.calls("/v2/rotate")), 2, "TooEarly is not retried")
        self.s.allow_rotation_now(KEY)
        old = self.s.assigned(KEY)
        later = self.run_driver("acquire", region="eu")
        self.assertTrue(later["ok"], later)
        self.assertNotEqual(later["lease"]["realIp"], old["exit_ip"])

    def test_unmapped_vendor_error_is_rejected_with_its_message(self):
        e = self.assertError(self.run_driver("acquire", region="mars", drop=("regions",)), "Rejected")
        self.assertIn("unknown pool 'mars'", e["message"])
        self.assertIn("code E_POOL, HTTP 400", e["message"])
        # With regions configured the call is refused before the vendor is asked.
        self.s.requests.clear()
        e = self.assertError(self.run_driver("acquire", region="mars"), "Rejected")
        self.assertIn("use one of random, eu, us, asia", e["message"])
        self.assertEqual(self.s.requests, [])

    def test_not_json_error_page(self):
        self.s.fault("html404")
        e = self.assertError(self.run_driver("acquire", region="eu"), "Rejected")
        self.assertIn("HTTP 404", e["message"])
        self.assertIn("not JSON: check new_url", e["message"])

    def test_http_status_entries(self):
        self.s.fault("html404")
        self.assertError(self.run_driver("acquire", region="eu", **{"errors.key_not_found[1]": "http:404"}),
                         "KeyNotFound")

    # ------------------------------------------------------------------ strictness
    def test_missing_or_malformed_fields_are_transient_naming_the_path(self):
        cases = [("missing:result.proxy.port", "result.proxy.port (port_path) is missing"),
                 ("missing:result.exit_ip", "result.exit_ip (real_ip_path) is missing"),
                 ("missing:result.valid_until", "result.valid_until (expires_at_path) is missing"),
                 ("missing:result.next_rotation_in", "result.next_rotation_in (next_change_at_path) is missing"),
                 ("missing:ok", "ok (success_path) is missing"),
                 ("wrongtype:result.proxy.host", "result.proxy.host (host_path) is an array"),
                 ("wrongtype:result.valid_until", "result.valid_until (expires_at_path) is an array")]
        for fault, words in cases:
            with self.subTest(fault=fault):
                self.s.faults.clear()
                self.s.add_key(KEY)
                self.s.fault(fault, fault)
                e = self.assertError(self.run_driver("acquire", region="eu", retries="1"), "Transient")
                self.assertIn(words, e["message"])
                self.assertIn("It will be tried again later", e["message"])

    def test_broken_answer_after_the_vendor_acted_is_not_asked_twice(self):
        # The rotation took effect but its answer lacked a field: /v2/current shows the new
        # upstream locked until its next change, so it is used and /v2/rotate is not repeated
        # (which would be refused as too early or rotate twice).
        self.s.fault("missing:result.exit_ip")
        a = self.run_driver("acquire", region="eu")
        self.assertTrue(a["ok"], a)
        self.assertLeaseIsAssigned(a["lease"])
        self.assertEqual(len(self.calls("/v2/rotate")), 1)
        self.assertEqual(len(self.calls("/v2/current")), 1)

    def test_optional_fields_may_be_absent(self):
        self.s.fault("missing:result.proxy.user")
        a = self.run_driver("acquire", region="eu", drop=("current_url",))
        self.assertTrue(a["ok"], a)
        self.assertEqual(a["lease"]["socks5"]["username"], "")

    # ------------------------------------------------------------------ transient faults
    def test_429_and_503_then_recovery(self):
        self.s.fault("429", "503", "429")
        a = self.run_driver("acquire", region="eu")
        self.assertTrue(a["ok"], a)
        self.assertLeaseIsAssigned(a["lease"])
        self.assertIn("HTTP 429", a["_log"])
        self.assertIn("HTTP 503", a["_log"])

    def test_429_beyond_the_retries(self):
        self.s.fault("429", "429", "429")
        e = self.assertError(self.run_driver("acquire", region="eu", retries="2"), "Transient")
        self.assertIn("failed 3 time(s)", e["message"])
        self.assertIn("HTTP 429", e["message"])
        self.assertIsNone(self.s.assigned(KEY))

    def test_malformed_json_then_recovery_and_for_good(self):
        self.s.fault("malformed")
        a = self.run_driver("acquire", region="eu")
        self.assertTrue(a["ok"], a)
        self.assertLeaseIsAssigned(a["lease"])
        self.s.add_key(KEY)
        self.s.fault(*["malformed"] * 12)
        e = self.assertError(self.run_driver("acquire", region="eu", drop=("current_url",)), "Transient")
        self.assertIn("not valid JSON", e["message"])

    def test_dropped_connection_then_recovery(self):
        self.s.fault("drop")
        a = self.run_driver("acquire", region="eu", drop=("current_url",))
        self.assertTrue(a["ok"], a)
        self.assertEqual(len(self.calls("/v2/rotate")), 2)

    def test_timeouts(self):
        # A hung request waits at most half of timeout_ms, so the retry still fits.
        self.s.fault("delay:2500")
        a = self.run_driver("acquire", region="eu", timeout_ms="3000", drop=("current_url",))
        self.assertTrue(a["ok"], a)
        self.assertLess(a["elapsedMs"], 3300)
        self.assertIn("no answer from 127.0.0.1", a["_log"])
        # A vendor that never answers in time: the call gives up within timeout_ms.
        self.s.add_key(KEY)
        self.s.fault("delay:4000", "delay:4000", "delay:4000")
        answer = self.run_driver("acquire", region="eu", timeout_ms="1000")
        e = self.assertError(answer, "Transient")
        self.assertLess(answer["elapsedMs"], 1600)
        self.assertIn("no answer from 127.0.0.1", e["message"])

    def test_api_down(self):
        self.s.stop()
        answer = self.run_driver("acquire", region="eu", timeout_ms="2000")
        e = self.assertError(answer, "Transient")
        self.assertIn("connection refused", e["message"])
        self.assertLess(answer["elapsedMs"], 2500)

    # ------------------------------------------------------------------ configuration
    def test_configuration_errors_name_the_key(self):
        cases = [
            ({"new_url": self.s.base_url + "/v2/rotate", "body_template": '{"pool": "{region}"}'},
             "new_url", "never sends the key"),
            ({"body_template": '{"api_key": {key}}'}, "body_template", "not valid JSON"),
            ({"body_template": '{"api_key": "{key}", "t": "{token}"}'}, "body_template", "unknown placeholder {token}"),
            ({"method": "GET"}, "body_template", "only sent with method: POST"),
            ({"host_path": ""}, "host_path", "is required"),
            ({"address_path": "result.proxy.address"}, "address_path", "use one or the other"),
            ({"port_path": "result..port"}, "port_path", "is not a JSON path"),
            ({"expires_at_unit": "days"}, "expires_at_unit", "not a time unit"),
            ({"new_url": "ftp://x/{key}"}, "new_url", "http:// or https://"),
            ({"new_url": "http://{key}.example/x"}, "new_url", "host name"),
            ({"success_path": ""}, "success_value", "success_path is not"),
            ({"timeout_ms": "50"}, "timeout_ms", "outside 100..120000"),
        ]
        for change, key, words in cases:
            with self.subTest(key=key, words=words):
                e = self.run_driver("info", **change)
                self.assertFalse(e["ok"], e)
                self.assertEqual(e["error"]["type"], "ConfigError", e)
                self.assertEqual(e["error"]["key"], "plugins.provider.http-api." + key)
                self.assertIn(words, e["error"]["message"])
        e = self.run_driver("info", settings={})
        self.assertEqual(e["error"].get("key"), "plugins.provider.http-api.new_url", e)

    def test_secret_validation(self):
        self.assertTrue(self.run_driver("validate")["ok"])
        for bad, words in [("", "is empty"), ("rp live", "whitespace"), ("rp\u00e9", "non-ASCII")]:
            with self.subTest(bad=bad):
                e = self.run_driver("validate", key=bad)
                self.assertEqual(e["error"]["type"], "ValidationError", e)
                self.assertEqual(e["error"]["field"], "secret")
                self.assertIn(words, e["error"]["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
