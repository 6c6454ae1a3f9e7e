"""Operations: /metrics in the Prometheus text format (checked by promtool), its access rule,
and the health endpoints."""
import json
import re
import shutil
import subprocess
import unittest

from kiotproxy_standin import KiotStandin
from sp_server import SteadyproxyServer, curl
from sp_testnet import Origin


def series(text, name, **labels):
    """The value of one sample, or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    return None


class OperationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = KiotStandin(lifetime=600, change_interval=1).start()
        cls.origin = Origin("127.0.0.1").start()
        cls.server = SteadyproxyServer(api_base=cls.standin.base_url,
                                       health_url=f"http://127.0.0.1:{cls.origin.port}/ip").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.origin.stop()
        cls.standin.stop()

    def test_metrics(self):
        api = self.server.login()
        st, proxy, _ = api.post("/api/proxies", {"kiotproxy_key": self.standin.add_key()})
        self.assertEqual(st, 201, proxy)
        creds = api.get(f"/api/proxies/{proxy['id']}/credentials")[1]
        target = f"http://127.0.0.1:{self.origin.port}/bytes?n=1000"
        for _ in range(3):
            self.assertEqual(curl("-o", "/dev/null", "-x", creds["http_url"], target).returncode, 0)
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-x", creds["http_url"].replace(creds["password"], "nope"), target)
        self.assertEqual(r.stdout, "407")
        self.assertEqual(curl("-o", "/dev/null", "-p", "-x", creds["http_url"], target).returncode, 0)
        self.assertEqual(api.post(f"/api/proxies/{proxy['id']}/check")[0], 200)

        st, text, headers = self.server.client().get("/metrics")
        self.assertEqual(st, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        text = text.decode() if isinstance(text, bytes) else text
        ep = proxy["subdomain"]
        self.assertGreaterEqual(series(text, "steadyproxy_endpoint_connections_total", endpoint=ep), 5)
        self.assertGreaterEqual(series(text, "steadyproxy_endpoint_bytes_total", endpoint=ep, direction="out"), 4000)
        self.assertEqual(series(text, "steadyproxy_endpoint_errors_total", endpoint=ep, kind="auth"), 1)
        self.assertGreaterEqual(series(text, "steadyproxy_endpoint_request_duration_seconds_count", endpoint=ep), 3)
        self.assertGreaterEqual(series(text, "steadyproxy_endpoint_tunnel_duration_seconds_count", endpoint=ep), 1)
        self.assertEqual(series(text, "steadyproxy_rotations_total", reason="add", result="success"), 1)
        self.assertGreaterEqual(series(text, "steadyproxy_provider_calls_total", provider="provider.kiotproxy",
                                       call="acquire", outcome="ok"), 1)
        self.assertEqual(series(text, "steadyproxy_endpoint_health", endpoint=ep, state="active"), 1)
        self.assertEqual(series(text, "steadyproxy_plugin_up", plugin="proxy.forward", kind="proxy"), 1)
        self.assertGreater(series(text, "process_resident_memory_bytes"), 1e6)
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is needed; scripts/setup --test installs it")
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_grafana_dashboard_queries_existing_series(self):
        import os
        st, text, _ = self.server.client().get("/metrics")
        text = text.decode() if isinstance(text, bytes) else text
        families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        dash = json.load(open(os.path.join(os.environ["STEADYPROXY_SOURCE_DIR"], "conf", "grafana", "steadyproxy.json")))
        used = set()
        for panel in dash["panels"]:
            for target in panel["targets"]:
                for name in re.findall(r"\b((?:steadyproxy|process)_[a-z_]+)", target["expr"]):
                    used.add(re.sub(r"_(bucket|sum|count)$", "", name))
        self.assertTrue(used)
        self.assertEqual(sorted(used - families), [], "the dashboard queries series the server does not export")

    def test_metrics_need_login_from_elsewhere(self):
        c = self.server.client()
        st, body, _ = c.request("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.5"})
        self.assertEqual(st, 401, body)
        api = self.server.login()
        st, _, _ = api.request("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.5"})
        self.assertEqual(st, 200)

    def test_health_endpoints(self):
        c = self.server.client()
        st, body, _ = c.get("/health/live")
        self.assertEqual((st, body["status"]), (200, "ok"))
        st, body, _ = c.get("/health/ready")
        self.assertEqual((st, body["status"]), (200, "ok"), body)
        self.assertEqual(body["plugins"]["storage.sqlite"], "started")
        self.assertEqual(body["store"], "open")


if __name__ == "__main__":
    unittest.main(verbosity=2)
