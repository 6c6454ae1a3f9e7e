"""Rotation decisions end to end, on a clock the test moves (the kernel's and the
stand-in's together): interval and failure rotations, the provider refusing or ignoring an
early change, a key the provider no longer knows, and a manual rotation from the CLI."""
import json
import time
import unittest

from kiotproxy_standin import KiotStandin
from sp_server import SteadyproxyServer, wait_for
from sp_testnet import Origin


class RotationTest(unittest.TestCase):
    def setUp(self):
        self.standin = KiotStandin(lifetime=1800, change_interval=5, grace=5).start()
        self.origin = Origin("127.0.0.1").start()

    def tearDown(self):
        self.server.cleanup()
        self.origin.stop()
        self.standin.stop()

    def start(self, health_path="/ip"):
        self.server = SteadyproxyServer(api_base=self.standin.base_url,
                                        health_url=f"http://127.0.0.1:{self.origin.port}{health_path}",
                                        extra_yaml="testing:\n  clock_control: true\n").start()
        self.api = self.server.login()

    def advance(self, seconds):
        self.standin.advance(seconds)
        st, body, _ = self.api.post("/api/testing/clock", {"advance_seconds": seconds})
        self.assertEqual(st, 200, body)

    def add(self, **options):
        key = self.standin.add_key(**options)
        st, proxy, _ = self.api.post("/api/proxies", {"kiotproxy_key": key})
        self.assertEqual(st, 201, proxy)
        return key, proxy

    def rotations(self, pid):
        return [e for e in self.api.get(f"/api/logs?proxy_id={pid}&action=rotate")[1]]

    def test_interval_rotation(self):
        self.start()
        st, body, _ = self.api.put("/api/settings", {"auto_rotate_interval_enabled": True, "auto_rotate_interval_minutes": 2})
        self.assertEqual(st, 200, body)
        key, proxy = self.add()
        self.assertEqual(self.api.get(f"/api/proxies/{proxy['id']}")[1]["next_rotation_reason"], "interval")
        self.advance(60)
        time.sleep(1.5)
        self.assertEqual(self.api.get(f"/api/proxies/{proxy['id']}")[1]["remote_ip"], proxy["remote_ip"], "not yet due")
        self.advance(61)
        wait_for(lambda: any(e["reason"] == "interval" and e["status"] == "success" for e in self.rotations(proxy["id"])),
                 timeout=10, what="an interval rotation")
        now = self.api.get(f"/api/proxies/{proxy['id']}")[1]
        self.assertNotEqual(now["remote_ip"], proxy["remote_ip"])
        self.assertEqual(now["remote_ip"], self.standin.assignment(key)["realIpAddress"])
        self.assertEqual(len(self.api.get(f"/api/proxies/{proxy['id']}/leases")[1]), 2)

    def test_failure_rotation(self):
        self.start(health_path="/status?code=500")
        st, body, _ = self.api.put("/api/settings", {"failure_threshold": 2, "health_check_interval": 5})
        self.assertEqual(st, 200, body)
        key, proxy = self.add()
        for _ in range(6):
            if any(e["reason"] == "failure" for e in self.rotations(proxy["id"])):
                break
            self.advance(6)
            time.sleep(1.5)
        failures = [e for e in self.rotations(proxy["id"]) if e["reason"] == "failure" and e["status"] == "success"]
        self.assertTrue(failures, self.rotations(proxy["id"]))
        health = self.api.get(f"/api/proxies/{proxy['id']}/health")[1]
        self.assertFalse(health[0]["ok"])
        self.assertIn("500", health[0]["error"])

    def early(self, mode):
        self.start()
        key, proxy = self.add(too_early=mode, change_interval=600)
        # Our clock passes the provider's nextRequestAt, the provider's does not: it answers
        # "too early" (refuse) or with the unchanged proxy; either way nothing changes.
        st, body, _ = self.api.post("/api/testing/clock", {"advance_seconds": 601})
        self.assertEqual(st, 200, body)
        self.assertGreater(proxy["ttc"], 500)
        self.assertEqual(self.api.get(f"/api/proxies/{proxy['id']}")[1]["ttc"], 0, "ttc follows the kernel's clock")
        calls = len(self.standin.calls_to("new"))
        st, body, _ = self.api.post(f"/api/proxies/{proxy['id']}/rotate")
        self.assertEqual(st, 200, body)
        self.assertTrue(body["scheduled"] and not body["rotated"], body)
        self.assertEqual(len(self.standin.calls_to("new")), calls + 1)
        now = self.api.get(f"/api/proxies/{proxy['id']}")[1]
        self.assertEqual(now["remote_ip"], proxy["remote_ip"])
        self.assertNotEqual(now["status"], "error", now)
        self.assertTrue(now["next_rotation_at"], now)

    def test_too_early_refused(self):
        self.early("refuse")

    def test_too_early_unchanged(self):
        self.early("unchanged")

    def test_key_not_found_stops_the_calls(self):
        self.start()
        key, proxy = self.add()
        self.standin.remove_key(key)
        self.advance(10)
        st, body, _ = self.api.post(f"/api/proxies/{proxy['id']}/rotate")
        self.assertEqual(st, 200, body)
        self.assertFalse(body["rotated"])
        now = self.api.get(f"/api/proxies/{proxy['id']}")[1]
        self.assertEqual(now["status"], "error")
        self.assertIn("Key not found", now["status_message"])
        self.assertIsNone(now["next_rotation_at"])
        calls = len(self.standin.calls)
        self.advance(3600)
        time.sleep(2)
        self.assertEqual([c["path"] for c in self.standin.calls[calls:]], [], "no more provider calls for a dead key")

    def test_cli_rotate_through_the_server(self):
        self.start()
        key, proxy = self.add()
        st, token, _ = self.api.post("/api/tokens", {"name": "cli"})
        self.assertEqual(st, 201, token)
        self.advance(10)
        r = self.server.cli("key", "rotate", proxy["subdomain"], "--region", "bac")
        self.assertEqual(r.returncode, 2, r.stderr)                       # no token: says how to get one
        self.assertIn("STEADYPROXY_API_TOKEN", r.stderr)
        self.server.env["STEADYPROXY_API_TOKEN"] = token["token"]
        r = self.server.cli("key", "rotate", proxy["subdomain"], "--region", "bac")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Rotated from", r.stdout)
        self.assertEqual(self.standin.assignment(key)["region"], "bac")
        r = self.server.cli("key", "rotate", proxy["subdomain"], "--region", "mars")
        self.assertEqual(r.returncode, 1)
        self.assertIn("region", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
