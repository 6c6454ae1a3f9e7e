"""Every plugin folder's plugin.yaml describes the library it builds truthfully: the id,
version, kind and dependencies match what the .so itself declares (`steadyproxy plugins`)."""
import glob
import os
import subprocess
import tempfile
import unittest

import yaml


class PluginManifestTest(unittest.TestCase):
    def test_manifests_match_the_libraries(self):
        root = os.environ["STEADYPROXY_SOURCE_DIR"]
        plugin_dir = os.environ["STEADYPROXY_PLUGIN_DIR"]
        manifests = {}
        for path in sorted(glob.glob(os.path.join(root, "plugins", "*", "plugin.yaml"))):
            with open(path, encoding="utf-8") as f:
                data = yaml.safe_load(f)
            manifests[data["id"]] = (path, data)
        self.assertGreaterEqual(len(manifests), 10)
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "all.yaml")
            with open(config, "w") as f:
                f.write(f"data_dir: {tmp}/data\nplugins:\n  directories: [{plugin_dir}]\n  load:\n")
                for pid in manifests:
                    f.write(f"    - {pid}\n")
            r = subprocess.run([os.environ["STEADYPROXY_BIN"], "--config", config, "plugins"], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = {line.split("\t")[0]: line.split("\t") for line in r.stdout.splitlines() if line}
        for pid, (path, data) in manifests.items():
            self.assertIn(pid, listed, f"{path}: no built library declares {pid}")
            _, kind, version, _build, _file = listed[pid]
            self.assertEqual(str(data["version"]), version, path)
            self.assertEqual(data["kind"], kind, path)
            self.assertEqual(pid.split(".")[0], kind, path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
