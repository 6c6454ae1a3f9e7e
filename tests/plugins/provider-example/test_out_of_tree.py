#!/usr/bin/env python3
"""A plugin author's path, end to end, as docs/plugin-authors.md tells it:

1. `cmake --install <build> --prefix <tmp>/sdk --component sdk` installs the sdk headers
   and the CMake package steadyproxy-sdk (and nothing else);
2. a COPY of examples/provider-example (so nothing can reach back into the tree) is
   configured with -DCMAKE_PREFIX_PATH=<tmp>/sdk and built;
3. the steadyproxy binary loads it by configuration (plugins.directories + plugins.load):
   `plugins` lists it, `key add --provider provider.example` works, and its own
   validateSecret() is what refuses a bad key;
4. the built .so is driven call by call (acquire, current, too early, unknown key, release);
5. the code in docs/plugin-authors.md is the code of examples/provider-example.
Bounded: the whole run stays well under three minutes (-j2)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ["STEADYPROXY_BUILD_DIR"]
SOURCE = os.environ["STEADYPROXY_SOURCE_DIR"]
BIN = os.environ["STEADYPROXY_BIN"]
PLUGIN_DIR = os.environ["STEADYPROXY_PLUGIN_DIR"]
DRIVER = os.path.join(BUILD, "bin", "http_api_driver")
EXAMPLE = os.path.join(SOURCE, "examples", "provider-example")
KEY = "ex-demo-key-00112233445566"


def run(args, timeout=120, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    return p.returncode, p.stdout + p.stderr


class OutOfTreePluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sp-plugin-author-")
        cls.sdk = os.path.join(cls.tmp, "sdk")
        cls.src = os.path.join(cls.tmp, "provider-example")
        cls.out = os.path.join(cls.tmp, "build")
        rc, out = run(["cmake", "--install", BUILD, "--prefix", cls.sdk, "--component", "sdk"])
        if rc != 0:
            raise AssertionError("cmake --install failed:\n" + out)
        shutil.copytree(EXAMPLE, cls.src, ignore=shutil.ignore_patterns("build*"))
        rc, out = run(["cmake", "-S", cls.src, "-B", cls.out, f"-DCMAKE_PREFIX_PATH={cls.sdk}",
                       "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
        cls.configure_log = out
        if rc != 0:
            raise AssertionError("configuring the example against the installed sdk failed:\n" + out)
        rc, out = run(["cmake", "--build", cls.out, "-j2"], timeout=150)
        if rc != 0:
            raise AssertionError("building the example against the installed sdk failed:\n" + out)
        cls.plugins = os.path.join(cls.out, "plugins")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def config(self, extra=""):
        path = os.path.join(self.tmp, "steadyproxy.yaml")
        with open(path, "w") as f:
            f.write(f"""data_dir: {self.tmp}/data
plugins:
  directories:
    - {self.plugins}
    - {PLUGIN_DIR}
  load:
    - storage.sqlite
    - auth.local
    - provider.example
  provider.example:
    upstreams:
      - http://127.0.0.1:3128
      - socks5://alice:p%40ss@127.0.0.2:1080
    lifetime_seconds: 900
    change_interval_seconds: 120
    keys: [{KEY}, ex-second-key-000000]
{extra}""")
        return path

    def cli(self, *args, stdin=None):
        env = {k: v for k, v in os.environ.items() if k != "STEADYPROXY_PLUGIN_DIRS"}
        return run([BIN, "--config", self.config(), *args], input=stdin, env=env)

    def drive(self, op, key=KEY, region="random", offset_ms=0):
        args = [DRIVER, op, "--plugin-id", "provider.example", "--plugin-dir", self.plugins, "--key", key,
                "--region", region, "--clock-offset-ms", str(offset_ms),
                "--set", "upstreams[0]=http://127.0.0.1:3128",
                "--set", "upstreams[1]=socks5://alice:p%40ss@127.0.0.2:1080",
                "--set", "lifetime_seconds=900", "--set", "change_interval_seconds=120",
                "--set", f"keys[0]={KEY}"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(key, p.stdout + p.stderr, "the key leaked")
        return json.loads(p.stdout)

    # ------------------------------------------------------------------
    def test_1_installed_sdk_is_a_cmake_package(self):
        for rel in ["include/steadyproxy/sdk/UpstreamProvider.h", "include/steadyproxy/sdk/Plugin.h",
                    "include/steadyproxy/sdk/Export.h"]:
            self.assertTrue(os.path.isfile(os.path.join(self.sdk, rel)), rel)
        cmake_dirs = [d for d in ("lib", "lib64") if os.path.isdir(os.path.join(self.sdk, d, "cmake", "steadyproxy-sdk"))]
        self.assertTrue(cmake_dirs, "no lib*/cmake/steadyproxy-sdk in the install")
        pkg = os.path.join(self.sdk, cmake_dirs[0], "cmake", "steadyproxy-sdk")
        for f in ["steadyproxy-sdk-config.cmake", "steadyproxy-sdk-config-version.cmake",
                  "steadyproxy-sdk-targets.cmake", "SteadyproxyPlugin.cmake"]:
            self.assertTrue(os.path.isfile(os.path.join(pkg, f)), f)
        self.assertFalse(os.path.exists(os.path.join(self.sdk, "bin")), "--component sdk installed more than the sdk")
        # The example found the INSTALLED package, not the build tree.
        with open(os.path.join(self.out, "CMakeCache.txt")) as f:
            cache = f.read()
        self.assertIn(f"steadyproxy-sdk_DIR:PATH={pkg}", cache)
        self.assertTrue(os.path.isfile(os.path.join(self.plugins, "provider.example.so")))

    def test_2_exports_only_the_plugin_entry_points(self):
        rc, out = run(["nm", "-D", "--defined-only", os.path.join(self.plugins, "provider.example.so")])
        if rc != 0:
            self.skipTest("nm is not available")
        functions = {line.split()[-1] for line in out.splitlines() if " T " in line}
        self.assertEqual(functions, {"steadyproxy_plugin_info", "steadyproxy_plugin_create"})

    def test_3_kernel_lists_and_uses_it(self):
        rc, out = self.cli("plugins")
        self.assertEqual(rc, 0, out)
        line = next((l for l in out.splitlines() if l.startswith("provider.example")), None)
        self.assertIsNotNone(line, out)
        self.assertIn("provider", line)
        self.assertIn(os.path.join(self.plugins, "provider.example.so"), line)
        for other in ("storage.sqlite", "auth.local"):
            self.assertIn(other, out)

        rc, out = self.cli("config", "validate")
        self.assertEqual(rc, 0, out)
        rc, out = self.cli("key", "add", "--provider", "provider.example", "--name", "demo", "--secret-stdin",
                           stdin=KEY + "\n")
        self.assertEqual(rc, 0, out)
        self.assertIn("added ex-demo-...445566 as proxy1", out)
        self.assertNotIn(KEY, out)
        rc, out = self.cli("key", "list")
        self.assertEqual(rc, 0, out)
        self.assertIn("ex-demo-...445566", out)
        # The plugin's own validateSecret() refuses a short key.
        rc, out = self.cli("key", "add", "--provider", "provider.example", "short")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("at least 8 characters", out)
        # Its configuration is checked by the kernel against its configOptions().
        rc, out = run([BIN, "--config", self.config("    colour: blue\n"), "config", "validate"])
        self.assertNotEqual(rc, 0, out)
        self.assertIn("plugins.provider.example.colour", out)

    def test_4_calls(self):
        c = self.drive("current")
        self.assertTrue(c["ok"], c)
        self.assertIsNone(c["lease"])
        a = self.drive("acquire")
        self.assertTrue(a["ok"], a)
        lease = a["lease"]
        self.assertEqual(lease["expiresAt"] - lease["obtainedAt"], 900 * 1000)
        self.assertEqual(lease["nextChangeAt"] - lease["obtainedAt"], 120 * 1000)
        self.assertEqual(lease["ttlSeconds"], 900)
        got = lease["http"] if lease["hasHttp"] else lease["socks5"]
        self.assertIn((got["kind"], got["host"], got["port"]), [("http", "127.0.0.1", 3128), ("socks5", "127.0.0.2", 1080)])
        if got["kind"] == "socks5":
            self.assertEqual((got["username"], got["password"]), ("alice", "p@ss"))
        e = self.drive("acquire", key="ex-not-listed-key-000")
        self.assertEqual(e["error"]["kind"], "KeyNotFound", e)
        self.assertIn("ex-not-l...ey-000", e["error"]["message"])
        self.assertNotIn("ex-not-listed-key-000", e["error"]["message"])
        e = self.drive("acquire", region="mars")
        self.assertEqual(e["error"]["kind"], "Rejected", e)
        self.assertTrue(self.drive("release")["ok"], "release with nothing assigned must not fail")

    def test_5_doc_shows_the_example_code(self):
        with open(os.path.join(SOURCE, "docs", "plugin-authors.md"), encoding="utf-8") as f:
            doc = f.read()
        blocks = re.findall(r"<!-- file: ([^ ]+) -->\n```[a-z]*\n(.*?)```", doc, re.S)
        shown = {name for name, _ in blocks}
        for rel in ["CMakeLists.txt", "src/ExampleProvider.h", "src/ExampleProvider.cpp", "src/PluginEntry.cpp"]:
            self.assertIn(f"examples/provider-example/{rel}", shown, f"docs/plugin-authors.md does not show {rel}")
        for name, text in blocks:
            with open(os.path.join(SOURCE, name), encoding="utf-8") as f:
                self.assertEqual(text, f.read(), f"docs/plugin-authors.md differs from {name}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
