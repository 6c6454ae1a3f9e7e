"""First start on an empty store: with ADMIN_PASSWORD unset the admin account gets a random
password printed once (never a default one), it works, and a restart prints nothing again;
the master key file is created 0600 and the store holds no secret in clear."""
import os
import re
import stat
import unittest

from sp_server import SteadyproxyServer


class FirstStartTest(unittest.TestCase):
    def test_generated_admin_password_is_shown_once(self):
        server = SteadyproxyServer(plugins=["storage.sqlite", "auth.local", "provider.kiotproxy"],
                                   env={"ADMIN_PASSWORD": "", "ADMIN_USERNAME": "owner"})
        try:
            server.start()
            lines = [l for l in server.output if "shown once" in l]
            self.assertEqual(len(lines), 1, server.log_text())
            password = re.search(r"\(shown once\): (\S+)", lines[0]).group(1)
            self.assertGreaterEqual(len(password), 16)
            self.assertNotEqual(server.client().login("owner", "admin")[0], 200)
            self.assertNotEqual(server.client().login("admin", "admin")[0], 200)
            api = server.login("owner", password)
            self.assertEqual(api.get("/api/auth/me")[1]["user"]["role"], "admin")
            key_file = os.path.join(server.data_dir, "master.key")
            self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)
            self.assertEqual(server.stop(), 0)
            server.start()
            self.assertFalse([l for l in server.output if "shown once" in l], "the password is shown only once")
            server.login("owner", password)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
