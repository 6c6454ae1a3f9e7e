"""Running for months: hot reload (API and SIGHUP) applies what can change live and reports
what needs a restart, an invalid file is refused; SIGUSR1 reopens the log file; SIGTERM lets
requests and tunnels in progress finish, refuses new ones, and exits 0."""
import json
import os
import signal
import socket
import threading
import time
import unittest

from kiotproxy_standin import KiotStandin
from sp_server import SteadyproxyServer, curl, wait_for
from sp_testnet import Origin, TcpEcho


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.standin = KiotStandin(lifetime=600, change_interval=1).start()
        self.origin = Origin("127.0.0.1").start()
        self.echo = TcpEcho("127.0.0.1").start()
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.cleanup()
        self.echo.stop()
        self.origin.stop()
        self.standin.stop()

    def start(self, extra=""):
        self.server = SteadyproxyServer(api_base=self.standin.base_url,
                                        health_url=f"http://127.0.0.1:{self.origin.port}/ip", extra_yaml=extra)
        self.log_file = os.path.join(self.server.tmp, "steadyproxy.log")
        self.server.extra_yaml = extra
        self.server.write_config()
        return self.server.start()

    def rewrite(self, old, new):
        text = open(self.server.config_path).read()
        self.assertIn(old, text)
        with open(self.server.config_path, "w") as f:
            f.write(text.replace(old, new))

    def test_reload(self):
        self.start()
        api = self.server.login()
        st, body, _ = api.post("/api/config/reload")
        self.assertEqual((st, body["applied"], body["restart_required"]), (200, [], []), body)
        self.rewrite("level: information", "level: debug")
        self.rewrite("interval_seconds: 30", "interval_seconds: 45")
        self.rewrite(f"port: {self.server.admin_port}", f"port: {self.server.admin_port + 1}")
        st, body, _ = api.post("/api/config/reload")
        self.assertEqual(st, 200, body)
        self.assertEqual(sorted(body["applied"]), ["health.interval_seconds", "log.level"])
        self.assertEqual(body["restart_required"], ["admin.port"])
        self.assertEqual(api.get("/api/settings")[1]["health_check_interval"], 45)
        # an invalid file is refused, the old configuration stays
        self.rewrite("level: debug", "level: chatty")
        st, body, _ = api.post("/api/config/reload")
        self.assertEqual(st, 422, body)
        self.assertIn("log.level", body["error"]["message"])
        self.assertEqual(api.get("/api/auth/me")[0], 200)
        # SIGHUP does the same
        self.rewrite("level: chatty", "level: warning")
        self.server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: any("configuration reloaded" in l and "log.level" in l for l in self.server.output), timeout=10,
                 what="the SIGHUP reload")
        self.assertIsNone(self.server.process.poll())

    def test_reload_serves_keys_the_cli_added_or_removed(self):
        self.start()
        api = self.server.login()
        secret = self.standin.add_key()
        r = self.server.cli("key", "add", "--secret-stdin", "--name", "from-cli", input=secret + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("next reload", r.stdout)
        endpoint = next(l.split("endpoint: ", 1)[1] for l in r.stdout.splitlines() if l.startswith("endpoint: "))
        self.assertEqual(api.get("/api/proxies")[1], [], "not served before the reload")
        st, body, _ = api.post("/api/config/reload")
        self.assertEqual(st, 200, body)
        self.assertEqual(len(body["notes"]), 1, body)
        self.assertIn("added to the store by another process", body["notes"][0])
        proxies = api.get("/api/proxies")[1]
        self.assertEqual([p["key_name"] for p in proxies], ["from-cli"])
        ip = self.standin.assignment(secret)["realIpAddress"]
        wait_for(lambda: curl("-x", endpoint, f"http://127.0.0.1:{self.origin.port}/ip").stdout.strip().startswith("{"),
                 timeout=20, what="the CLI's key served")
        got = json.loads(curl("-x", endpoint, f"http://127.0.0.1:{self.origin.port}/ip").stdout)["ip"]
        self.assertEqual(got, ip, "through the upstream the server obtained for it")
        # removed by the CLI: dropped at the next reload (SIGHUP), its upstream released
        r = self.server.cli("key", "rm", proxies[0]["subdomain"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(api.get("/api/proxies")[1]), 1, "still served until the reload")
        self.server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: api.get("/api/proxies")[1] == [], timeout=10, what="the key dropped at SIGHUP")
        wait_for(lambda: self.standin.calls_to("out"), timeout=10, what="the upstream released")
        r = curl("-x", endpoint, f"http://127.0.0.1:{self.origin.port}/ip", timeout=5)
        self.assertNotEqual(r.returncode, 0, "the endpoint's port is closed")

    def test_sigusr1_reopens_the_log_file(self):
        self.start()
        self.server.stop()
        self.rewrite("log:\n  level: information", f"log:\n  level: information\n  file: {self.log_file}")
        self.server.start()
        wait_for(lambda: os.path.exists(self.log_file) and "serving" in open(self.log_file).read(), timeout=10)
        os.rename(self.log_file, self.log_file + ".1")
        self.server.process.send_signal(signal.SIGUSR1)
        wait_for(lambda: os.path.exists(self.log_file) and "log files reopened" in open(self.log_file).read(), timeout=10,
                 what="a new log file")
        self.assertNotIn("log files reopened", open(self.log_file + ".1").read())

    def test_sigterm_drains(self):
        self.start("shutdown:\n  drain_seconds: 20\n")
        api = self.server.login()
        st, proxy, _ = api.post("/api/proxies", {"kiotproxy_key": self.standin.add_key()})
        self.assertEqual(st, 201, proxy)
        creds = api.get(f"/api/proxies/{proxy['id']}/credentials")[1]
        port = proxy["port"]
        # an open tunnel to the echo server
        tunnel = socket.create_connection(("127.0.0.1", port), timeout=10)
        import base64
        auth = base64.b64encode(f"{creds['username']}:{creds['password']}".encode()).decode()
        tunnel.sendall(f"CONNECT 127.0.0.1:{self.echo.port} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic {auth}\r\n\r\n".encode())
        self.assertIn(b" 200 ", tunnel.recv(4096))
        # an in-flight slow request (3 s)
        slow = {}

        def fetch():
            r = curl("-x", creds["http_url"], f"http://127.0.0.1:{self.origin.port}/slow?ms=3000&n=3000", timeout=30)
            slow["rc"], slow["len"] = r.returncode, len(r.stdout)

        t = threading.Thread(target=fetch)
        t.start()
        time.sleep(0.5)
        started = time.monotonic()
        self.server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # new connections are refused while draining
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-x", creds["http_url"], f"http://127.0.0.1:{self.origin.port}/ip",
                 timeout=5)
        self.assertNotEqual(r.stdout, "200")
        # the open tunnel still carries bytes both ways
        tunnel.sendall(b"still here")
        self.assertEqual(tunnel.recv(100), b"still here")
        tunnel.close()
        t.join(30)
        self.assertEqual((slow.get("rc"), slow.get("len")), (0, 3000), slow)
        code = self.server.process.wait(30)
        self.assertEqual(code, 0, self.server.log_text())
        self.assertLess(time.monotonic() - started, 15)
        self.assertTrue(any("every request and tunnel finished" in l for l in self.server.output), self.server.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
