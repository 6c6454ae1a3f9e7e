"""What router.haproxy renders is a configuration Debian's HAProxy (2.6) accepts, in every
shape the options give it; `haproxy -c` is the judge (and is shown to reject a broken one).

Runs router_haproxy_dump (built with the tests) and /usr/sbin/haproxy -c. Needs haproxy and
openssl (Debian packages)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from haproxy_support import check_config, make_pki, require_tools

DUMP = os.path.join(os.environ.get("STEADYPROXY_BUILD_DIR", ""), "bin", "router_haproxy_dump")


class HaproxyCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tools("haproxy", "openssl")
        if not os.path.exists(DUMP):
            raise AssertionError(f"{DUMP} is not built (build target router_haproxy_dump)")
        cls.tmp = tempfile.mkdtemp(prefix="haproxy-check-")
        cls.pki = make_pki(os.path.join(cls.tmp, "pki"), "example.com")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def render(self, *args, sets=None):
        sets = dict(sets or {})
        sets.setdefault("certificate", self.pki.pem)
        argv = [DUMP, *args]
        for k, v in sets.items():
            argv += ["--set", f"{k}={v}"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def save(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assertValid(self, *files):
        r = check_config(*files)
        self.assertEqual(r.returncode, 0, "haproxy -c rejected it:\n" + r.stdout + r.stderr + "\n" +
                         "".join(open(f).read() for f in files))
        self.assertNotIn("[WARNING]", r.stdout + r.stderr)

    def test_default_options(self):
        text = self.render("--routes", "3")
        self.assertIn("use_backend proxy3 if { ssl_fc_sni -i proxy3.example.com }", text)
        self.assertValid(self.save("default.cfg", text))

    def test_many_endpoints(self):
        text = self.render("--routes", "100")
        self.assertEqual(text.count("\nbackend proxy"), 100)
        self.assertValid(self.save("many.cfg", text))

    def test_every_option(self):
        text = self.render("--routes", "2", "--proxy-host", "::1", "--admin-host", "0.0.0.0", sets={
            "bind_address": "127.0.0.1:8443,[::1]:8443", "bind_options": "ssl-min-ver TLSv1.3",
            "proxy_protocol": "true", "idle_timeout": "30m", "hard_stop_after": "2h"})
        self.assertIn("send-proxy-v2", text)
        self.assertIn("hard-stop-after 2h", text)
        self.assertValid(self.save("options.cfg", text))

    def test_certificate_directory(self):
        certs = os.path.join(self.tmp, "certs")
        os.makedirs(certs, exist_ok=True)
        shutil.copy(self.pki.pem, os.path.join(certs, "example.com.pem"))
        self.assertValid(self.save("dir.cfg", self.render(sets={"certificate": certs + "/"})))

    def test_no_endpoints_no_admin(self):
        self.assertValid(self.save("empty.cfg", self.render("--routes", "0", "--no-admin")))
        self.assertValid(self.save("admin-only.cfg", self.render("--routes", "0")))

    def test_after_own_haproxy_cfg(self):
        base = self.save("base.cfg", "global\n    log stderr format raw daemon notice\n    maxconn 2000\n\n"
                                     "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n"
                                     "    timeout server 30s\n\nfrontend web\n    bind 127.0.0.1:18080\n"
                                     "    default_backend app\n\nbackend app\n    server app 127.0.0.1:18081\n")
        text = self.render(sets={"global_section": "false"})
        self.assertNotIn("\nglobal\n", text)
        self.assertValid(base, self.save("after.cfg", text))

    def test_hostname_upstream(self):
        self.assertValid(self.save("names.cfg", self.render("--proxy-host", "localhost", "--admin-host", "localhost")))

    def test_check_can_fail(self):
        # The judge is not lenient: a missing certificate and a syntax error are refused.
        r = check_config(self.save("nocert.cfg", self.render(sets={"certificate": "/nonexistent/wild.pem"})))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/wild.pem", r.stdout + r.stderr)
        r = check_config(self.save("broken.cfg", self.render() + "backend x\n    bogus_keyword 1\n"))
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
