"""The steadyproxy command line, run as a user runs it.

Runs the real binary ($STEADYPROXY_BIN) in a fresh temporary folder with a configuration
file the test writes, and checks exit codes and what the commands print. The user commands
need the real storage.sqlite and auth.local plugins from $STEADYPROXY_PLUGIN_DIR.
"""
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

BIN = os.environ.get("STEADYPROXY_BIN", "")
PLUGIN_DIR = os.environ.get("STEADYPROXY_PLUGIN_DIR", "")
TIMEOUT = 60


def have_plugins(*ids):
    return all(os.path.exists(os.path.join(PLUGIN_DIR, i + ".so")) for i in ids)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise AssertionError("STEADYPROXY_BIN is not an executable (%r): run through ctest after building" % BIN)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sp-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        # The test decides every setting: nothing from the caller's environment leaks in.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("STEADYPROXY_", "PROXY_PORT", "ADMIN_", "DOMAIN", "HEALTH_"))}
        self.env["STEADYPROXY_LOG_LEVEL"] = "warning"

    # -- helpers ----------------------------------------------------------------------
    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def config(self, extra="", load=("storage.sqlite", "auth.local"), name="steadyproxy.yaml", data_dir="./data",
               sections=""):
        """A valid configuration in the temp folder, plus `extra` YAML at the root.

        The base takes lines 1-7 (with two plugins). An `extra` written as a triple-quoted
        block starts with a newline, so its first line is line 9 and the next line 10.
        `sections` is raw YAML placed inside `plugins:` (plugin sections), from line 8.
        """
        loads = "".join("    - %s\n" % i for i in load)
        text = ("data_dir: %s\n"
                "plugins:\n"
                "  directories:\n"
                "    - %s\n"
                "  load:\n%s" % (data_dir, PLUGIN_DIR, loads)) + sections + textwrap.dedent(extra)
        return self.write(name, text)

    def run_cli(self, *args, stdin=None, env=None):
        proc = subprocess.run([BIN] + list(args), cwd=self.dir, input=stdin, capture_output=True, text=True,
                              timeout=TIMEOUT, env=env if env is not None else self.env)
        return proc

    def assert_rc(self, proc, rc):
        self.assertEqual(proc.returncode, rc,
                         "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s" % (proc.returncode, rc, proc.stdout, proc.stderr))

    def require_plugins(self):
        if not have_plugins("storage.sqlite", "auth.local"):
            self.fail("storage.sqlite.so and auth.local.so are not built in %s" % PLUGIN_DIR)

    # -- help -------------------------------------------------------------------------
    def test_help(self):
        for args in (["--help"], ["-h"], ["help"]):
            p = self.run_cli(*args)
            self.assert_rc(p, 0)
            self.assertIn("Usage: steadyproxy", p.stdout)
            for command in ("serve", "config validate", "plugins", "user add", "key add"):
                self.assertIn(command, p.stdout)
        p = self.run_cli()
        self.assert_rc(p, 2)
        self.assertIn("Usage: steadyproxy", p.stderr)
        p = self.run_cli("no-such-command")
        self.assert_rc(p, 2)
        self.assertIn('unknown command "no-such-command"', p.stderr)

    def test_each_command_explains_itself(self):
        expected = {
            "serve": "SIGTERM",
            "config": "file:line: key: message",
            "plugins": "id, kind, version",
            "user": "--password-stdin",
            "key": "--secret-stdin",
            "version": "ABI",
        }
        for command, words in expected.items():
            for args in ([command, "--help"], ["--help", command], [command, "-h"]):
                with self.subTest(args=args):
                    p = self.run_cli(*args)
                    self.assert_rc(p, 0)
                    self.assertIn("Usage: steadyproxy " + command, p.stdout)
                    self.assertIn(words, p.stdout)
        # A subcommand's own --help explains the command, without touching the store.
        p = self.run_cli("user", "add", "--help")
        self.assert_rc(p, 0)
        self.assertIn("steadyproxy user passwd NAME", p.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "data")))

    def test_version(self):
        p = self.run_cli("version")
        self.assert_rc(p, 0)
        self.assertRegex(p.stdout, r"^steadyproxy \d+\.\d+\.\d+ \(sdk ABI \d+\)")

    # -- config validate --------------------------------------------------------------
    def test_validate_good_file(self):
        self.require_plugins()
        path = self.config("""
            admin:
              port: 8123
            endpoints:
              port_start: 9200
              port_end: 9300
            """)
        p = self.run_cli("--config", path, "config", "validate")
        self.assert_rc(p, 0)
        self.assertIn("valid", p.stdout)
        self.assertEqual(p.stderr, "")
        p = self.run_cli("-c", path, "config", "validate")
        self.assert_rc(p, 0)
        p = self.run_cli("--config=" + path, "config", "validate")
        self.assert_rc(p, 0)
        # The configuration can also come from STEADYPROXY_CONFIG.
        env = dict(self.env, STEADYPROXY_CONFIG=path)
        p = self.run_cli("config", "validate", env=env)
        self.assert_rc(p, 0)
        self.assertIn(path, p.stdout)
        # Validation writes nothing.
        self.assertFalse(os.path.exists(os.path.join(self.dir, "data")))

    def assert_invalid(self, path, line, *words):
        p = self.run_cli("--config", path, "config", "validate")
        self.assert_rc(p, 1)
        where = "%s:%d" % (path, line) if line else path + ":"
        self.assertIn(where, p.stderr)
        for w in words:
            self.assertIn(w, p.stderr)
        return p

    def test_validate_bad_yaml(self):
        path = self.write("bad.yaml", "data_dir: ./data\nadmin:\n\tport: 8000\nplugins:\n  load: [storage.sqlite]\n")
        self.assert_invalid(path, 3, "not valid YAML")
        path = self.write("bad2.yaml", "data_dir: ./data\nadmin:\n  port: [1, 2\n")
        p = self.assert_invalid(path, 0, "not valid YAML")
        self.assertRegex(p.stderr, re.escape(path) + r":\d+: ")
        path = self.write("dup.yaml", "data_dir: ./data\nadmin:\n  port: 8001\n  port: 8002\n")
        self.assert_invalid(path, 4, "admin.port", "twice", path + ":3")

    def test_validate_unknown_key(self):
        self.require_plugins()
        path = self.config("""
            admin:
              prot: 8000
            """)
        self.assert_invalid(path, 10, "admin.prot", "unknown key")
        # In a plugin's own section too.
        path = self.config(sections="  storage.sqlite:\n    no_such_option: 1\n", name="plugin.yaml")
        self.assert_invalid(path, 9, "plugins.storage.sqlite.no_such_option", "unknown key")

    def test_validate_wrong_type(self):
        self.require_plugins()
        path = self.config("""
            admin:
              port: eighty
            """)
        self.assert_invalid(path, 10, "admin.port", "whole number", "eighty")
        path = self.config("""
            log:
              level: loud
            """, name="choice.yaml")
        self.assert_invalid(path, 10, "log.level", "one of", "loud")

    def test_validate_out_of_range(self):
        self.require_plugins()
        path = self.config("""
            health:
              interval_seconds: 1
            """)
        self.assert_invalid(path, 10, "health.interval_seconds", "between 5 and 86400")
        path = self.config("""
            endpoints:
              port_start: 9300
              port_end: 9200
            """, name="range.yaml")
        self.assert_invalid(path, 10, "endpoints.port_start", "port_end")

    def test_validate_reports_every_problem(self):
        self.require_plugins()
        path = self.config("""
            admin:
              port: 0
            log:
              format: xml
            """)
        p = self.assert_invalid(path, 10, "admin.port")
        self.assertIn(path + ":12", p.stderr)
        self.assertIn("log.format", p.stderr)

    def test_validate_missing_plugin_and_file(self):
        path = self.config(load=("storage.sqlite", "auth.nothere"))
        p = self.run_cli("--config", path, "config", "validate")
        self.assert_rc(p, 1)
        self.assertIn("auth.nothere", p.stderr)
        self.assertIn(PLUGIN_DIR, p.stderr)
        p = self.run_cli("--config", os.path.join(self.dir, "missing.yaml"), "config", "validate")
        self.assert_rc(p, 1)
        self.assertIn("missing.yaml", p.stderr)

    def test_environment_overrides_and_bad_environment_value(self):
        self.require_plugins()
        path = self.config("""
            endpoints:
              port_start: 9001
              port_end: 9100
            """)
        env = dict(self.env, PROXY_PORT_START="70000")
        p = self.run_cli("--config", path, "config", "validate", env=env)
        self.assert_rc(p, 1)
        self.assertIn("environment variable PROXY_PORT_START", p.stderr)
        self.assertIn("endpoints.port_start", p.stderr)
        # A valid override wins over the file: 9150 is above the file's port_end.
        env = dict(self.env, PROXY_PORT_START="9150")
        p = self.run_cli("--config", path, "config", "validate", env=env)
        self.assert_rc(p, 1)
        self.assertIn("endpoints.port_start", p.stderr)
        self.assertIn("9150", p.stderr)
        env = dict(self.env, PROXY_PORT_START="9050")
        p = self.run_cli("--config", path, "config", "validate", env=env)
        self.assert_rc(p, 0)

    def test_variable_with_default(self):
        self.require_plugins()
        path = self.config("""
            admin:
              port: ${SP_TEST_ADMIN_PORT:-99999}
            """, data_dir="${SP_TEST_DATA:-./from-default}")
        env = dict(self.env)
        env.pop("SP_TEST_ADMIN_PORT", None)
        env.pop("SP_TEST_DATA", None)
        # Unset: the default is used (and here it is out of range).
        p = self.run_cli("--config", path, "config", "validate", env=env)
        self.assert_rc(p, 1)
        self.assertIn(path + ":10: admin.port", p.stderr)
        self.assertIn("99999", p.stderr)
        # Set: the variable's value is used.
        env["SP_TEST_ADMIN_PORT"] = "8124"
        p = self.run_cli("--config", path, "config", "validate", env=env)
        self.assert_rc(p, 0)
        # The data folder is where the expanded value says.
        p = self.run_cli("--config", path, "user", "list", env=env)
        self.assert_rc(p, 0)
        self.assertTrue(os.path.isdir(os.path.join(self.dir, "from-default")))
        env["SP_TEST_DATA"] = os.path.join(self.dir, "from-env")
        p = self.run_cli("--config", path, "user", "list", env=env)
        self.assert_rc(p, 0)
        self.assertTrue(os.path.isdir(os.path.join(self.dir, "from-env", "plugins")))

    # -- plugins ----------------------------------------------------------------------
    def test_plugins_lists_id_kind_version_file(self):
        self.require_plugins()
        path = self.config()
        p = self.run_cli("--config", path, "plugins")
        self.assert_rc(p, 0)
        rows = [line.split("\t") for line in p.stdout.strip().splitlines()]
        self.assertEqual([r[0] for r in rows], ["storage.sqlite", "auth.local"], p.stdout)
        by_id = {r[0]: r for r in rows}
        self.assertEqual(by_id["storage.sqlite"][1], "storage")
        self.assertEqual(by_id["auth.local"][1], "auth")
        for r in rows:
            self.assertRegex(r[2], r"^\d+\.\d+\.\d+")
            self.assertEqual(r[-1], os.path.join(PLUGIN_DIR, r[0] + ".so"))
            self.assertTrue(os.path.exists(r[-1]))

    # -- users ------------------------------------------------------------------------
    def test_user_add_list_passwd(self):
        self.require_plugins()
        path = self.config()
        p = self.run_cli("--config", path, "user", "add", "alice", "--password-stdin",
                         stdin="correct horse battery staple\n")
        self.assert_rc(p, 0)
        self.assertIn("added user alice", p.stdout)
        self.assertNotIn("correct horse", p.stdout + p.stderr)
        p = self.run_cli("--config", path, "user", "add", "root", "--role", "admin", "--password-stdin",
                         stdin="another long passphrase\n")
        self.assert_rc(p, 0)
        self.assertIn("role admin", p.stdout)

        p = self.run_cli("--config", path, "user", "list")
        self.assert_rc(p, 0)
        rows = [line.split("\t") for line in p.stdout.strip().splitlines()]
        self.assertEqual([(r[1], r[2], r[3]) for r in rows], [("alice", "user", "active"), ("root", "admin", "active")])
        self.assertNotIn("argon2", p.stdout)  # hashes are never printed

        p = self.run_cli("--config", path, "user", "passwd", "alice", "--password-stdin",
                         stdin="a brand new passphrase\n")
        self.assert_rc(p, 0)
        self.assertIn("changed the password of alice", p.stdout)

        p = self.run_cli("--config", path, "user", "passwd", "nobody", "--password-stdin", stdin="whatever long one\n")
        self.assert_rc(p, 1)
        self.assertIn('no user named "nobody"', p.stderr)

        # The master key was created private, in the data folder.
        key = os.path.join(self.dir, "data", "master.key")
        self.assertTrue(os.path.exists(key))
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)

    def test_user_without_stdin_password_is_generated_once(self):
        self.require_plugins()
        path = self.config()
        p = self.run_cli("--config", path, "user", "add", "gen", stdin="")
        self.assert_rc(p, 0)
        m = re.search(r"password \(shown once\): (\S+)", p.stdout)
        self.assertTrue(m, p.stdout)
        self.assertGreaterEqual(len(m.group(1)), 16)

    def test_duplicate_user_refused(self):
        self.require_plugins()
        path = self.config()
        p = self.run_cli("--config", path, "user", "add", "alice", "--password-stdin", stdin="correct horse battery\n")
        self.assert_rc(p, 0)
        p = self.run_cli("--config", path, "user", "add", "alice", "--password-stdin", stdin="other horse battery\n")
        self.assert_rc(p, 1)
        self.assertIn('"alice" already exists', p.stderr)
        p = self.run_cli("--config", path, "user", "list")
        self.assertEqual(len(p.stdout.strip().splitlines()), 1)

    def test_short_password_refused_with_policy(self):
        self.require_plugins()
        path = self.config()
        p = self.run_cli("--config", path, "user", "add", "bob", "--password-stdin", stdin="short\n")
        self.assert_rc(p, 1)
        self.assertIn("password refused", p.stderr)
        self.assertRegex(p.stderr, r"at least \d+ characters")
        p = self.run_cli("--config", path, "user", "list")
        self.assert_rc(p, 0)
        self.assertNotIn("bob", p.stdout)
        # Changing to a short password is refused the same way, and the old one stays.
        p = self.run_cli("--config", path, "user", "add", "bob", "--password-stdin", stdin="long enough password\n")
        self.assert_rc(p, 0)
        p = self.run_cli("--config", path, "user", "passwd", "bob", "--password-stdin", stdin="tiny\n")
        self.assert_rc(p, 1)
        self.assertIn("password refused", p.stderr)

    def test_user_usage_errors(self):
        self.require_plugins()
        path = self.config()
        p = self.run_cli("--config", path, "user", "add", "--password-stdin", stdin="long enough password\n")
        self.assert_rc(p, 2)
        p = self.run_cli("--config", path, "user", "add", "eve", "--no-such-flag")
        self.assert_rc(p, 2)
        self.assertIn("--no-such-flag", p.stderr)
        p = self.run_cli("--config", path, "user", "add", "bad name", "--password-stdin", stdin="long enough password\n")
        self.assert_rc(p, 1)
        p = self.run_cli("--config", path, "user", "add", "eve", "--role", "god", "--password-stdin",
                         stdin="long enough password\n")
        self.assert_rc(p, 1)
        self.assertIn("--role", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
