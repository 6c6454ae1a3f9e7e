"""A user's whole path: add a KiotProxy key through the API, use its endpoint with curl
(HTTP, CONNECT, SOCKS5), watch it rotate on expiry under steady load with no failed
request, restart the server without calling the provider again, delete the key and see its
proxy released."""
import json
import threading
import time
import unittest
import urllib.request

from kiotproxy_standin import KiotStandin
from sp_server import SteadyproxyServer, curl, wait_for
from sp_testnet import Origin


class UserPathTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = KiotStandin(lifetime=90, change_interval=3, grace=30).start()
        cls.origin = Origin("127.0.0.1").start()
        cls.server = SteadyproxyServer(api_base=cls.standin.base_url,
                                       health_url=f"http://127.0.0.1:{cls.origin.port}/ip",
                                       health_interval=5).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.origin.stop()
        cls.standin.stop()

    def origin_url(self, path="/ip"):
        return f"http://127.0.0.1:{self.origin.port}{path}"

    def exit_ip(self, proxy_url, *extra):
        r = curl("-x", proxy_url, *extra, self.origin_url())
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["ip"]

    def test_whole_path(self):
        api = self.server.login()
        key = self.standin.add_key()
        status, proxy, _ = api.post("/api/proxies", {"kiotproxy_key": key, "region": "nam", "key_name": "Phú Thọ scraper"})
        self.assertEqual(status, 201, proxy)
        self.assertEqual(proxy["key_name"], "Phú Thọ scraper")
        self.assertEqual(proxy["subdomain"], "proxy1")
        self.assertEqual(proxy["status"], "active", proxy)
        self.assertNotIn(key, json.dumps(proxy))              # the provider key is never returned in full
        first_ip = self.standin.assignment(key)["realIpAddress"]
        self.assertEqual(proxy["remote_ip"], first_ip)
        pid = proxy["id"]

        status, creds, _ = api.get(f"/api/proxies/{pid}/credentials")
        self.assertEqual(status, 200)
        http_url, socks_url = creds["http_url"], creds["socks5_url"]
        self.assertIn(str(proxy["port"]), http_url)

        # the endpoint carries traffic out through the provider's IP, over all three client forms
        self.assertEqual(self.exit_ip(http_url), first_ip)
        self.assertEqual(self.exit_ip(http_url, "--proxytunnel"), first_ip)
        self.assertEqual(self.exit_ip(socks_url), first_ip)

        # no open proxy: wrong credentials are refused with 407
        bad = http_url.replace(creds["password"], "wrong-password")
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-x", bad, self.origin_url())
        self.assertEqual(r.stdout, "407")

        # rotation on expiry, under steady client load, fails no request
        results = {"ok": 0, "failed": [], "ips": set()}
        stop = threading.Event()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": http_url}))

        def load():
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    with opener.open(self.origin_url(), timeout=10) as resp:
                        results["ips"].add(json.loads(resp.read())["ip"])
                        results["ok"] += 1
                except Exception as e:  # noqa: BLE001 - every failure is recorded
                    results["failed"].append(repr(e))
                time.sleep(0.05)

        worker = threading.Thread(target=load)
        worker.start()
        try:
            time.sleep(1)
            status, body, _ = api.put("/api/settings", {"expiry_lead_seconds": 87})
            self.assertEqual(status, 200, body)
            new_ip = wait_for(lambda: (api.get(f"/api/proxies/{pid}")[1]["remote_ip"] != first_ip and
                                       api.get(f"/api/proxies/{pid}")[1]["remote_ip"]), timeout=30, what="an expiry rotation")
            wait_for(lambda: new_ip in results["ips"] or self.standin.assignment(key)["realIpAddress"] in results["ips"],
                     timeout=15, what="a request leaving by a new IP")
            time.sleep(1)
        finally:
            stop.set()
            worker.join(15)
        self.assertEqual(results["failed"], [], "requests failed during rotation")
        self.assertGreater(results["ok"], 20)
        self.assertGreaterEqual(len(results["ips"]), 2, results["ips"])

        status, logs, _ = api.get(f"/api/logs?proxy_id={pid}&action=rotate")
        reasons = {entry["reason"] for entry in logs if entry["status"] == "success"}
        self.assertIn("expiry", reasons, logs)

        # restart: the endpoint comes back on its stored lease without asking the provider
        status, body, _ = api.put("/api/settings", {"expiry_lead_seconds": 60})
        self.assertEqual(status, 200, body)
        time.sleep(4)   # let a rotation that was already due finish
        current_ip = self.standin.assignment(key)["realIpAddress"]
        self.assertNotIn(key, self.server.log_text())                 # no log line holds the provider key
        self.assertNotIn(creds["password"], self.server.log_text())   # nor an endpoint password
        self.assertEqual(self.server.stop(), 0, self.server.log_text())
        self.standin.clear_calls()
        self.server.start()
        self.assertEqual(self.exit_ip(http_url), current_ip)
        self.assertEqual(self.standin.calls_to("new"), [])

        # delete: the provider's proxy is released
        api = self.server.login()
        status, body, _ = api.delete(f"/api/proxies/{pid}")
        self.assertEqual(status, 200, body)
        wait_for(lambda: self.standin.calls_to("out"), timeout=10, what="/proxies/out")
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-x", http_url, self.origin_url())
        self.assertNotEqual(r.stdout, "200")


if __name__ == "__main__":
    unittest.main(verbosity=2)
