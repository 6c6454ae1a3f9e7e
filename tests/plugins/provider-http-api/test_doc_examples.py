#!/usr/bin/env python3
"""The YAML in docs/providers.md, run for real:

* the RotaProxy example is given verbatim to the steadyproxy binary (config validate,
  plugins, key add), proving the kernel accepts every key and list the doc writes;
* the "GET vendor" example (KiotProxy described generically) drives the REAL plugin against
  the KiotProxy stand-in, proving the adapter also fits an API shaped like KiotProxy's."""
import json
import os
import subprocess
import tempfile
import textwrap
import unittest

import yaml

from kiotproxy_standin import KiotStandin
from test_provider import BUILD, DRIVER, doc_block, flatten

BIN = os.environ.get("STEADYPROXY_BIN", os.path.join(BUILD, "bin", "steadyproxy"))
PLUGIN_DIR = os.environ.get("STEADYPROXY_PLUGIN_DIR", os.path.join(BUILD, "plugins"))


class DocExamplesTest(unittest.TestCase):
    def test_kernel_accepts_the_rotaproxy_example(self):
        block = doc_block("<!-- example: rotaproxy")
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "steadyproxy.yaml")
            with open(config, "w", encoding="utf-8") as f:
                f.write(block + f"\ndata_dir: {tmp}/data\n")
            env = dict(os.environ, STEADYPROXY_PLUGIN_DIRS=PLUGIN_DIR, ROTAPROXY_API="http://127.0.0.1:9")

            def run(*args, stdin=None):
                p = subprocess.run([BIN, "--config", config, *args], capture_output=True, text=True,
                                   env=env, input=stdin, timeout=60)
                return p.returncode, p.stdout + p.stderr

            rc, out = run("config", "validate")
            self.assertEqual(rc, 0, out)
            rc, out = run("plugins")
            self.assertEqual(rc, 0, out)
            self.assertIn("provider.http-api", out)
            rc, out = run("key", "add", "--provider", "provider.http-api", "--region", "eu", "--secret-stdin",
                          stdin="rp_live_4f9c2e71b8a0d3c6e5f4a9b8c7d6e5f4\n")
            self.assertEqual(rc, 0, out)
            self.assertIn("added rp_live_...d6e5f4 as proxy1", out)
            rc, out = run("key", "add", "--provider", "provider.http-api", "--region", "mars", "rp_other_key_0000")
            self.assertNotEqual(rc, 0, out)
            self.assertIn("region must be one of random|eu|us|asia", out)
            rc, out = run("key", "list")
            self.assertEqual(rc, 0, out)
            self.assertIn("rp_live_...d6e5f4", out)

            # A broken section stops the kernel with the key named.
            with open(config, "w", encoding="utf-8") as f:
                f.write(block.replace("port_path: result.proxy.port", "port_path: result..port") +
                        f"\ndata_dir: {tmp}/data\n")
            rc, out = run("config", "validate")
            self.assertNotEqual(rc, 0, out)
            self.assertIn("plugins.provider.http-api.port_path", out)

    def test_kiotproxy_shaped_example_against_the_kiotproxy_standin(self):
        block = textwrap.dedent(doc_block("### A GET vendor with the key in the query"))
        section = yaml.safe_load(block)["provider.http-api"]
        with KiotStandin(proxies=False, lifetime=1200, change_interval=60) as s:
            settings = flatten(section, "", {}, {})
            settings = {k: v.replace("https://api.kiotproxy.com/api/v1", s.base_url) for k, v in settings.items()}
            key = s.add_key()

            def call(op, k=key, region=None):
                args = [DRIVER, op, "--key", k] + (["--region", region] if region else [])
                for name, value in settings.items():
                    args += ["--set", f"{name}={value}"]
                p = subprocess.run(args, capture_output=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn(k.encode(), p.stdout + p.stderr, "the key leaked")
                return json.loads(p.stdout)

            c = call("current")
            self.assertTrue(c["ok"], c)
            self.assertIsNone(c["lease"], "PROXY_NOT_FOUND_BY_KEY maps to no lease")
            a = call("acquire", region="nam")
            self.assertTrue(a["ok"], a)
            got = s.assignment(key)
            lease = a["lease"]
            self.assertEqual((lease["http"]["host"], lease["http"]["port"]), (got["realIpAddress"], got["httpPort"]))
            self.assertEqual(lease["realIp"], got["realIpAddress"])
            self.assertEqual(lease["location"], got["location"])
            self.assertEqual(lease["expiresAt"], got["expirationAt"])
            self.assertEqual(lease["nextChangeAt"], got["nextRequestAt"])
            self.assertEqual(lease["ttlSeconds"], got["ttl"])
            e = call("acquire", k="K" + "0" * 32, region="nam")
            self.assertEqual(e["error"]["kind"], "KeyNotFound", e)
            self.assertTrue(call("release")["ok"])
            self.assertIsNone(s.assignment(key))


if __name__ == "__main__":
    unittest.main(verbosity=2)
