"""End to end through a real HAProxy: client -> HAProxy (TLS with a throw-away wildcard
certificate, endpoint chosen by SNI) -> steadyproxy's endpoint -> the KiotProxy stand-in's
upstream proxy -> an origin.

Debian's haproxy runs in master-worker mode (-W) with a pid file and a master socket; the
real steadyproxy server, configured with router.haproxy, rewrites its configuration on
every key added or deleted through the API and reloads it:
- through the master socket (with `haproxy -c` as check_command), or
- with SIGUSR2 to the master from the pid file.
The test sees: the exit IP of a request through https://proxyN.proxy.test equals the
stand-in's IP for that key; a key added later is reachable without restarting HAProxy (same
master pid, more reloads); a deleted one is not; a tunnel opened before the reloads keeps
carrying bytes; a file HAProxy rejects is never installed; app.proxy.test reaches the admin
server. Needs haproxy, openssl and curl (Debian packages) and the proxy.forward plugin.
"""
import base64
import json
import os
import shutil
import socket
import ssl
import tempfile
import unittest

from haproxy_support import HAPROXY, Haproxy, make_pki, require_tools
from kiotproxy_standin import KiotStandin
from sp_server import SteadyproxyServer, curl, free_port, wait_for
from sp_testnet import Origin, TcpEcho

DOMAIN = "proxy.test"
DEFAULT_PLUGINS = ["storage.sqlite", "auth.local", "provider.kiotproxy", "proxy.forward", "rotation.expiry",
                   "rotation.interval", "rotation.failure", "health.http"]


class Tunnel:
    """A CONNECT tunnel to an echo server through HAProxy (TLS, SNI) and an endpoint."""

    def __init__(self, port, ca, sni, user, password, target):
        ctx = ssl.create_default_context(cafile=ca)
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = ctx.wrap_socket(raw, server_hostname=sni)
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
                          f"Proxy-Authorization: Basic {auth}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = self.sock.recv(4096)
            if not data:
                raise AssertionError("the tunnel closed before the proxy answered: %r" % head)
            head += data
        self.status_line = head.split(b"\r\n", 1)[0].decode()
        if " 200 " not in self.status_line + " ":
            raise AssertionError("CONNECT refused: " + self.status_line)

    def roundtrip(self, size=4096):
        payload = os.urandom(size)
        self.sock.sendall(payload)
        got = b""
        while len(got) < size:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"the tunnel closed after {len(got)} of {size} bytes")
            got += data
        return got == payload

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class HaproxyEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tools("haproxy", "openssl", "curl")
        plugin_dir = os.environ.get("STEADYPROXY_PLUGIN_DIR", "")
        for plugin in ("router.haproxy", "proxy.forward"):
            if not os.path.exists(os.path.join(plugin_dir, plugin + ".so")):
                raise AssertionError(f"{plugin}.so is not built in {plugin_dir}")
        cls.standin = KiotStandin(lifetime=3600, change_interval=3, grace=30).start()
        cls.origin = Origin("127.0.0.1").start()
        cls.echo = TcpEcho("127.0.0.1").start()
        cls.tmp = tempfile.mkdtemp(prefix="haproxy-e2e-")
        cls.pki = make_pki(os.path.join(cls.tmp, "pki"), DOMAIN)

    @classmethod
    def tearDownClass(cls):
        cls.echo.stop()
        cls.origin.stop()
        cls.standin.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- the stack ----------------------------------------------------------------------
    def start_stack(self, name, reload_yaml):
        """HAProxy on a placeholder configuration, then steadyproxy, which takes it over."""
        work = os.path.join(self.tmp, name)
        os.makedirs(work)
        self.port = free_port()
        self.cfg_dir = os.path.join(work, "haproxy")
        os.makedirs(self.cfg_dir)
        self.cfg = os.path.join(self.cfg_dir, "haproxy.cfg")
        with open(self.cfg, "w") as f:  # what a fresh HAProxy runs before steadyproxy writes
            f.write("defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 1m\n    timeout server 1m\n\n"
                    f"frontend placeholder\n    bind 127.0.0.1:{self.port} ssl crt '{self.pki.pem}'\n")
        self.haproxy = Haproxy(self.cfg, work).start()
        self.addCleanup(self.haproxy.stop)
        self.master_pid = self.haproxy.master_pid()

        yaml = (f"  router.haproxy:\n"
                f"    directory: {self.cfg_dir}\n"
                f"    bind_address: 127.0.0.1:{self.port}\n"
                f"    certificate: {self.pki.pem}\n"
                f"    reload_timeout_ms: 15000\n" +
                reload_yaml.format(haproxy=HAPROXY, socket=self.haproxy.master_socket,
                                   pid_file=self.haproxy.pid_file))
        self.server = SteadyproxyServer(api_base=self.standin.base_url,
                                        health_url=f"http://127.0.0.1:{self.origin.port}/ip",
                                        plugins=DEFAULT_PLUGINS + ["router.haproxy"], extra_yaml=yaml, ports=6,
                                        env={"DOMAIN": DOMAIN})
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.api = self.server.login()
        # The start-up write replaces the placeholder and reloads HAProxy.
        self.wait(lambda: "steadyproxy_tls" in self.config_text() and self.haproxy.reloads() >= 1,
                  what="steadyproxy's first configuration loaded by HAProxy")

    def wait(self, predicate, what, timeout=20):
        """wait_for, with the logs of steadyproxy and HAProxy as they are when it gives up."""
        try:
            return wait_for(predicate, timeout=timeout, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.diagnostics()}") from None

    def config_text(self):
        with open(self.cfg) as f:
            return f.read()

    def diagnostics(self):
        return ("--- steadyproxy log\n" + "\n".join(self.server.output[-30:]) if hasattr(self, "server") else "") + \
               "\n--- haproxy log\n" + self.haproxy.log()[-3000:]

    def add_key(self):
        key = self.standin.add_key()
        status, proxy, _ = self.api.post("/api/proxies", {"kiotproxy_key": key})
        self.assertEqual(status, 201, proxy)
        status, creds, _ = self.api.get(f"/api/proxies/{proxy['id']}/credentials")
        self.assertEqual(status, 200, creds)
        return key, proxy, creds

    def wait_published(self, subdomain, present=True, reloads_before=None):
        line = f"backend {subdomain}\n"
        self.wait(lambda: (line in self.config_text()) == present, what=f"{subdomain} {'in' if present else 'out of'} "
                 "the HAProxy configuration")
        if reloads_before is not None:
            self.wait(lambda: self.haproxy.reloads() > reloads_before, what="HAProxy reloaded")

    def via_haproxy(self, subdomain, user, password, *extra, path="/ip"):
        host = f"{subdomain}.{DOMAIN}"
        return curl("--proxy", f"https://{host}:{self.port}", "--proxy-cacert", self.pki.ca,
                    "--proxy-user", f"{user}:{password}", "--resolve", f"{host}:{self.port}:127.0.0.1",
                    *extra, f"http://127.0.0.1:{self.origin.port}{path}", timeout=15)

    def try_exit_ip(self, subdomain, creds):
        r = self.via_haproxy(subdomain, creds["username"], creds["password"])
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)["ip"]
        except (ValueError, KeyError):
            return None

    def exit_ip(self, subdomain, creds, *extra):
        r = self.via_haproxy(subdomain, creds["username"], creds["password"], *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["ip"]

    # --- the scenarios ------------------------------------------------------------------
    def test_master_socket_reloads_with_check(self):
        self.start_stack("socket", "    check_command: '{haproxy} -c -q -f {{file}}'\n"
                                   "    master_socket: {socket}\n")

        key1, proxy1, creds1 = self.add_key()
        self.assertEqual(proxy1["subdomain"], "proxy1")
        self.wait_published("proxy1")
        ip1 = self.standin.assignment(key1)["realIpAddress"]
        self.assertEqual(self.wait(lambda: self.try_exit_ip("proxy1", creds1), what="proxy1 through HAProxy"), ip1)
        self.assertEqual(self.exit_ip("proxy1", creds1, "--proxytunnel"), ip1)  # CONNECT inside TLS too

        # No open proxy behind HAProxy: the endpoint's credentials still apply.
        r = self.via_haproxy("proxy1", creds1["username"], "wrong-password", "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual(r.stdout, "407", r.stderr)
        # Names HAProxy does not route are closed.
        r = self.via_haproxy("proxy99", creds1["username"], creds1["password"])
        self.assertNotEqual(r.returncode, 0)
        # The admin app is served at app.<domain>.
        r = curl("--cacert", self.pki.ca, "--resolve", f"app.{DOMAIN}:{self.port}:127.0.0.1",
                 "-o", "/dev/null", "-w", "%{http_code}", f"https://app.{DOMAIN}:{self.port}/health/live")
        self.assertEqual(r.stdout, "200", r.stderr)

        # A long-lived tunnel, opened before the next reloads.
        tunnel = Tunnel(self.port, self.pki.ca, f"proxy1.{DOMAIN}", creds1["username"], creds1["password"],
                        self.echo.address)
        self.addCleanup(tunnel.close)
        self.assertTrue(tunnel.roundtrip())

        # A key added now is reachable without restarting HAProxy.
        before = self.haproxy.settled_reloads()
        key2, proxy2, creds2 = self.add_key()
        self.assertEqual(proxy2["subdomain"], "proxy2")
        self.wait_published("proxy2", reloads_before=before)
        self.assertEqual(self.haproxy.master_pid(), self.master_pid)
        ip2 = self.standin.assignment(key2)["realIpAddress"]
        self.assertNotEqual(ip1, ip2)
        self.assertEqual(self.wait(lambda: self.try_exit_ip("proxy2", creds2), what="proxy2 through HAProxy"), ip2)
        # The old worker lives on for the open tunnel, which still carries bytes.
        self.assertIn("# old workers", self.haproxy.show_proc())
        self.assertTrue(tunnel.roundtrip(65536))

        # A file HAProxy rejects is not installed, and HAProxy is not reloaded.
        hidden = self.pki.pem + ".away"
        os.rename(self.pki.pem, hidden)
        before = self.haproxy.settled_reloads()
        installed = self.config_text()
        key3, proxy3, creds3 = self.add_key()
        self.wait(lambda: any("HAProxy rejected the new configuration" in line for line in self.server.output),
                 what="the rejected configuration reported")
        self.assertEqual(self.config_text(), installed)
        self.assertFalse(os.path.exists(os.path.join(self.cfg_dir, ".haproxy.cfg.tmp")))
        self.assertEqual(self.haproxy.settled_reloads(), before)
        os.rename(hidden, self.pki.pem)
        self.assertEqual(self.exit_ip("proxy2", creds2), ip2)  # still served

        # A deleted key is no longer reachable; the next change also publishes proxy3.
        before = self.haproxy.settled_reloads()
        status, body, _ = self.api.delete(f"/api/proxies/{proxy2['id']}")
        self.assertEqual(status, 200, body)
        self.wait_published("proxy2", present=False, reloads_before=before)
        self.assertIn("backend proxy3\n", self.config_text())
        r = self.via_haproxy("proxy2", creds2["username"], creds2["password"])
        self.assertNotEqual(r.returncode, 0, "proxy2 still answers after its key was deleted: " + r.stdout)
        self.assertEqual(self.exit_ip("proxy3", creds3), self.standin.assignment(key3)["realIpAddress"])
        self.assertEqual(self.exit_ip("proxy1", creds1), ip1)

        # Same HAProxy master all along; the tunnel survived every reload.
        self.assertEqual(self.haproxy.master_pid(), self.master_pid)
        self.assertTrue(tunnel.roundtrip())
        tunnel.close()
        self.wait(lambda: "# old workers" not in self.haproxy.show_proc(), timeout=15,
                 what="old workers gone once the tunnel closed")

    def test_sigusr2_from_pid_file(self):
        self.start_stack("signal", "    pid_file: {pid_file}\n")
        key1, proxy1, creds1 = self.add_key()
        self.wait_published("proxy1")
        ip1 = self.standin.assignment(key1)["realIpAddress"]
        self.assertEqual(self.wait(lambda: self.try_exit_ip("proxy1", creds1), what="proxy1 through HAProxy"), ip1)
        tunnel = Tunnel(self.port, self.pki.ca, f"proxy1.{DOMAIN}", creds1["username"], creds1["password"],
                        self.echo.address)
        self.addCleanup(tunnel.close)
        self.assertTrue(tunnel.roundtrip())

        before = self.haproxy.settled_reloads()
        key2, proxy2, creds2 = self.add_key()
        self.wait_published("proxy2", reloads_before=before)
        self.assertEqual(self.wait(lambda: self.try_exit_ip("proxy2", creds2), what="proxy2 through HAProxy"),
                         self.standin.assignment(key2)["realIpAddress"])
        self.assertTrue(tunnel.roundtrip())

        before = self.haproxy.settled_reloads()
        status, body, _ = self.api.delete(f"/api/proxies/{proxy2['id']}")
        self.assertEqual(status, 200, body)
        self.wait_published("proxy2", present=False, reloads_before=before)
        r = self.via_haproxy("proxy2", creds2["username"], creds2["password"])
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.exit_ip("proxy1", creds1), ip1)
        self.assertEqual(self.haproxy.master_pid(), self.master_pid)
        self.assertTrue(tunnel.roundtrip())  # opened before both reloads

if __name__ == "__main__":
    unittest.main(verbosity=2)
