"""The admin REST API against the real server and the KiotProxy stand-in: good and bad input,
one user cannot see another's key, CSRF, expired and revoked sessions, login throttling,
body limits, Unicode, the event stream, tokens, data.json import and the OpenAPI document."""
import crypt  # noqa: deprecated in 3.11 but present; makes real bcrypt hashes with libxcrypt
import http.client
import json
import threading
import time
import unittest

from kiotproxy_standin import KiotStandin
from sp_server import ADMIN_PASSWORD, SteadyproxyServer, wait_for

PLUGINS = ["storage.sqlite", "auth.local", "provider.kiotproxy", "rotation.expiry", "rotation.interval"]


class AdminApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = KiotStandin(lifetime=1200, change_interval=2, proxies=False).start()
        cls.server = SteadyproxyServer(api_base=cls.standin.base_url, plugins=PLUGINS,
                                       extra_yaml="testing:\n  clock_control: true\n").start()
        cls.admin = cls.server.login()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.standin.stop()

    def error(self, answer, status, field=None):
        st, body, _ = answer
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"]["status"], status)
        self.assertTrue(body["error"]["message"])
        if field:
            self.assertEqual(body["error"].get("field"), field, body)
        return body["error"]

    def add_key(self, api, **fields):
        body = {"kiotproxy_key": self.standin.add_key()}
        body.update(fields)
        st, proxy, _ = api.post("/api/proxies", body)
        self.assertEqual(st, 201, proxy)
        return proxy

    def new_user(self, name, role="user"):
        st, body, _ = self.admin.post("/api/users", {"username": name, "password": "a long password 1", "role": role})
        self.assertEqual(st, 201, body)
        return self.server.login(name, "a long password 1")

    # ------------------------------------------------------------------ authentication
    def test_login_errors_and_session_cookie(self):
        c = self.server.client()
        self.error(c.get("/api/proxies"), 401)
        self.error(c.post("/api/auth/login", {"username": "admin", "password": "wrong password!"}), 401)
        self.error(c.post("/api/auth/login", {"username": "admin"}), 422, "password")
        st, body, headers = c.post("/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        self.assertEqual(st, 200)
        cookie = headers["set-cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertNotIn("Secure", cookie)          # plain HTTP on loopback
        first = c.cookie
        c.login("admin", ADMIN_PASSWORD)
        self.assertNotEqual(first, c.cookie)          # a new id at every login

    def test_secure_cookie_behind_https_router(self):
        c = self.server.client()
        st, _, headers = c.request("POST", "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD},
                                   headers={"X-Forwarded-Proto": "https"})
        self.assertEqual(st, 200)
        self.assertTrue(headers["set-cookie"].startswith("__Host-sp_session="), headers["set-cookie"])
        self.assertIn("secure", headers["set-cookie"].lower())

    def test_csrf_required_for_cookie_changes(self):
        api = self.server.login()
        self.error(api.post("/api/proxies", {"kiotproxy_key": "x"}, csrf=False), 403)
        self.assertEqual(self.error(api.post("/api/proxies", {"kiotproxy_key": "x"}, csrf=False,
                                             headers={"X-CSRF-Token": "forged"}), 403)["code"], "csrf")
        self.assertEqual(api.get("/api/proxies")[0], 200)   # reads need no token

    def test_logout_and_password_change_revoke_sessions(self):
        api = self.new_user("revoker")
        cookie = api.cookie
        self.assertEqual(api.post("/api/auth/logout")[0], 200)
        api.cookie = cookie
        self.error(api.get("/api/auth/me"), 401)
        api = self.server.login("revoker", "a long password 1")
        other = self.server.login("revoker", "a long password 1")
        self.error(api.post("/api/auth/password", {"current_password": "nope nope nope", "new_password": "x" * 12}), 422,
                   "current_password")
        self.error(api.post("/api/auth/password", {"current_password": "a long password 1", "new_password": "short"}), 422,
                   "new_password")
        st, body, _ = api.post("/api/auth/password", {"current_password": "a long password 1", "new_password": "another long one"})
        self.assertEqual(st, 200, body)
        self.error(other.get("/api/auth/me"), 401)           # revoked
        self.assertEqual(api.get("/api/auth/me")[0], 200)   # the new session works
        self.server.login("revoker", "another long one")

    def test_expired_session(self):
        api = self.new_user("sleeper")
        self.assertEqual(api.get("/api/auth/me")[0], 200)
        self.assertEqual(self.admin.post("/api/testing/clock", {"advance_seconds": 61 * 60})[0], 200)
        self.standin.advance(61 * 60)          # the provider's clock moves with ours
        self.error(api.get("/api/auth/me"), 401)
        type(self).admin = self.server.login()

    def test_login_throttling(self):
        # The guesser comes through the (trusted, loopback) router as 203.0.113.9.
        c = self.server.client()
        via = {"X-Forwarded-For": "203.0.113.9"}
        statuses = [c.request("POST", "/api/auth/login", {"username": "victim", "password": "guess number %d" % i},
                              headers=via)[0] for i in range(8)]
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertIn(429, statuses[5:])
        st, body, headers = c.request("POST", "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD},
                                      headers=via)
        self.assertEqual(st, 429, "the address is slowed down even with the right password")
        self.assertGreater(int(headers["retry-after"]), 0)
        # the guessed account is slowed down from any address too
        st, _, _ = c.request("POST", "/api/auth/login", {"username": "victim", "password": "from elsewhere"},
                             headers={"X-Forwarded-For": "198.51.100.77"})
        self.assertEqual(st, 429)
        # other addresses and accounts are not affected
        self.assertEqual(self.server.client().login("admin", ADMIN_PASSWORD)[0], 200)

    def test_bearer_tokens(self):
        api = self.new_user("robot")
        st, token, _ = api.post("/api/tokens", {"name": "ci"})
        self.assertEqual(st, 201, token)
        bot = self.server.client()
        bot.bearer = token["token"]
        self.assertEqual(bot.get("/api/auth/me")[1]["user"]["username"], "robot")
        self.assertEqual(bot.post("/api/tokens", {"name": "no csrf needed"})[0], 201)
        listed = api.get("/api/tokens")[1]
        self.assertNotIn(token["token"], json.dumps(listed))          # stored hashed, shown once
        self.assertEqual(api.delete(f"/api/tokens/{token['id']}")[0], 200)
        self.error(bot.get("/api/auth/me"), 401)

    # ------------------------------------------------------------------ bodies
    def test_malformed_and_oversized_bodies(self):
        self.assertEqual(self.error(self.admin.request("POST", "/api/proxies", raw=b"{not json"), 400)["code"], "malformed_json")
        self.error(self.admin.request("POST", "/api/proxies", raw=b"[1,2]"), 400)
        self.assertEqual(self.error(self.admin.request("POST", "/api/proxies", raw=b"{\"a\":\"" + b"x" * (2 << 20) + b"\"}"),
                                    413)["code"], "body_too_large")
        self.error(self.admin.post("/api/proxies", {"kiotproxy_key": 12}), 422, "kiotproxy_key")
        self.error(self.admin.post("/api/proxies", {"kiotproxy_key": ""}), 422, "kiotproxy_key")
        self.error(self.admin.post("/api/proxies", {"kiotproxy_key": "K" + "a" * 32, "bogus": 1}), 422, "bogus")
        self.error(self.admin.get("/api/nothing-here"), 404)
        self.error(self.admin.request("PATCH", "/api/proxies"), 405)
        self.error(self.admin.get("/api/logs?limit=abc"), 400, "limit")

    # ------------------------------------------------------------------ keys
    def test_keys_good_and_bad_input(self):
        proxy = self.add_key(self.admin, key_name="Đà Nẵng — 東京 ✓", region="trung")
        self.assertEqual(proxy["key_name"], "Đà Nẵng — 東京 ✓")
        self.assertIn(proxy["location"], ["Đà Nẵng", "Thừa Thiên Huế", "Nghệ An", "Quảng Nam", "Khánh Hòa"])
        again = self.admin.get(f"/api/proxies/{proxy['id']}")[1]
        self.assertEqual(again["key_name"], proxy["key_name"])
        self.assertEqual(again["location"], proxy["location"])
        self.error(self.admin.post("/api/proxies", {"kiotproxy_key": self.standin.add_key(), "region": "south"}), 422, "region")
        self.error(self.admin.post("/api/proxies", {"kiotproxy_key": "has space inside"}), 422, "kiotproxy_key")
        dup = self.standin.add_key()
        self.assertEqual(self.admin.post("/api/proxies", {"kiotproxy_key": dup})[0], 201)
        self.error(self.admin.post("/api/proxies", {"kiotproxy_key": dup}), 409)
        pid = proxy["id"]
        self.error(self.admin.put(f"/api/proxies/{pid}", {"overrides": {"auto_rotate_interval_minutes": 1}}), 422,
                   "auto_rotate_interval_minutes")
        self.error(self.admin.put(f"/api/proxies/{pid}", {"allow_cidrs": ["10.0.0.0/33"]}), 422, "allow_cidrs")
        st, body, _ = self.admin.put(f"/api/proxies/{pid}", {"allow_cidrs": ["127.0.0.0/8", "::1"], "region": "bac",
                                                             "overrides": {"auto_rotate_interval_enabled": True,
                                                                           "auto_rotate_interval_minutes": 5}})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["allow_cidrs"], ["127.0.0.0/8", "::1"])
        self.assertEqual(body["overrides"]["auto_rotate_interval_minutes"], 5)
        self.assertEqual(body["next_rotation_reason"], "interval")
        self.error(self.admin.get("/api/proxies/999999"), 404)
        self.error(self.admin.get("/api/proxies/abc"), 404)
        creds = self.admin.get(f"/api/proxies/{pid}/credentials")[1]
        fresh = self.admin.post(f"/api/proxies/{pid}/credentials")[1]
        self.assertNotEqual(creds["password"], fresh["password"])
        leases = self.admin.get(f"/api/proxies/{pid}/leases")[1]
        self.assertEqual(leases[0]["remote_ip"], proxy["remote_ip"])

    def test_rotation_too_early_then_allowed(self):
        proxy = self.add_key(self.admin)
        st, body, _ = self.admin.post(f"/api/proxies/{proxy['id']}/rotate", {"region": "nam"})
        self.assertEqual(st, 200, body)
        self.assertTrue(body["scheduled"] and not body["rotated"], body)
        self.error(self.admin.post(f"/api/proxies/{proxy['id']}/rotate", {"region": "mars"}), 422, "region")
        new_ip = wait_for(lambda: (self.admin.get(f"/api/proxies/{proxy['id']}")[1]["remote_ip"] != proxy["remote_ip"]
                                   and self.admin.get(f"/api/proxies/{proxy['id']}")[1]["remote_ip"]), timeout=10,
                          what="the scheduled rotation")
        self.assertTrue(new_ip)

    def test_bulk_import_reports_each_key(self):
        good = [self.standin.add_key() for _ in range(2)]
        text = "\n".join([good[0], "", "bad key with spaces", good[1], good[0]])
        st, body, _ = self.admin.post("/api/proxies/bulk-import", {"kiotproxy_keys": text, "region": "bac"})
        self.assertEqual(st, 200, body)
        results = body["results"]
        self.assertEqual([r["success"] for r in results], [True, False, True, False])
        self.assertIn("already added", results[3]["error"])
        self.assertNotIn(good[0], json.dumps(body))

    def test_provider_errors_are_shown(self):
        key = self.standin.add_key(expired=True)
        st, proxy, _ = self.admin.post("/api/proxies", {"kiotproxy_key": key})
        self.assertEqual(st, 201, proxy)
        self.assertEqual(proxy["status"], "error")
        self.assertIn("hết hạn", proxy["status_message"])        # the provider's message, UTF-8 intact

    def test_users_and_isolation(self):
        alice = self.new_user("alice")
        bob = self.new_user("bob")
        mine = self.add_key(alice)
        self.error(bob.get(f"/api/proxies/{mine['id']}"), 404)
        self.error(bob.delete(f"/api/proxies/{mine['id']}"), 404)
        self.error(bob.post(f"/api/proxies/{mine['id']}/rotate"), 404)
        self.error(bob.get(f"/api/proxies/{mine['id']}/credentials"), 404)
        self.assertNotIn(mine["id"], [p["id"] for p in bob.get("/api/proxies")[1]])
        self.assertIn(mine["id"], [p["id"] for p in self.admin.get("/api/proxies")[1]])
        self.error(bob.get("/api/users"), 403)
        self.error(bob.put("/api/settings", {"auto_rotate_interval_minutes": 5}), 403)
        self.error(bob.get("/api/logs"), 403, "proxy_id")
        self.error(bob.get(f"/api/logs?proxy_id={mine['id']}"), 404)
        self.assertEqual(alice.get(f"/api/logs?proxy_id={mine['id']}")[0], 200)
        self.error(self.admin.post("/api/users", {"username": "alice", "password": "a long password 1"}), 409)
        self.error(self.admin.post("/api/users", {"username": "eve", "password": "short"}), 422, "password")
        self.error(self.admin.post("/api/users", {"username": "eve", "password": "a long password 1", "role": "root"}), 422, "role")
        bob_id = bob.get("/api/auth/me")[1]["user"]["id"]
        self.assertEqual(self.admin.put(f"/api/users/{bob_id}", {"disabled": True})[0], 200)
        self.error(bob.get("/api/auth/me"), 401)
        self.error(self.server.client().post("/api/auth/login", {"username": "bob", "password": "a long password 1"}), 401)
        admin_id = self.admin.get("/api/auth/me")[1]["user"]["id"]
        self.error(self.admin.put(f"/api/users/{admin_id}", {"role": "user"}), 409)   # keeps one admin
        self.assertEqual(self.admin.delete(f"/api/users/{bob_id}")[0], 200)

    def test_settings(self):
        st, body, _ = self.admin.get("/api/settings")
        self.assertEqual(st, 200)
        self.assertEqual(set(body) >= {"auto_rotate_on_expiration", "auto_rotate_interval_enabled",
                                       "auto_rotate_interval_minutes"}, True)
        self.error(self.admin.put("/api/settings", {"auto_rotate_interval_minutes": 1}), 422, "auto_rotate_interval_minutes")
        self.error(self.admin.put("/api/settings", {"auto_rotate_on_expiration": "yes"}), 422, "auto_rotate_on_expiration")
        st, body, _ = self.admin.put("/api/settings", {"auto_rotate_interval_minutes": 15})
        self.assertEqual((st, body["success"], body["settings"]["auto_rotate_interval_minutes"]), (200, True, 15))

    # ------------------------------------------------------------------ events
    def test_event_stream_delivers_a_rotation(self):
        proxy = self.add_key(self.admin)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.admin_port, timeout=20)
        conn.request("GET", "/api/events", headers={"Cookie": self.admin.cookie})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
        events = []

        def read():
            buffer = b""
            while True:
                chunk = resp.fp.readline()
                if not chunk:
                    return
                buffer += chunk
                if chunk.startswith(b"data: "):
                    events.append(json.loads(chunk[6:]))
                    if events[-1]["type"] == "upstream.changed":
                        return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(2.5)   # past the stand-in's change interval
        st, body, _ = self.admin.post(f"/api/proxies/{proxy['id']}/rotate")
        self.assertEqual(st, 200, body)
        reader.join(15)
        conn.close()
        changed = [e for e in events if e["type"] == "upstream.changed" and e["key_id"] == proxy["id"]]
        self.assertTrue(changed, events)
        self.assertEqual(changed[0]["old_ip"], proxy["remote_ip"])
        self.assertNotEqual(changed[0]["new_ip"], proxy["remote_ip"])

    # ------------------------------------------------------------------ import
    def test_import_data_json(self):
        password = "imported password 1"
        bcrypt_hash = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 10)).replace("$2a$", "$2b$")
        self.assertTrue(bcrypt_hash.startswith("$2b$"))
        key = self.standin.add_key()
        data = {"settings": {"auto_rotate_on_expiration": True, "auto_rotate_interval_enabled": False,
                             "auto_rotate_interval_minutes": 12},
                "users": [{"id": 7, "username": "legacy", "password": bcrypt_hash}],
                "proxy_keys": [{"id": 3, "user_id": 7, "key_name": "My Proxy 1", "kiotproxy_key": key, "subdomain": "proxy77",
                                "port": self.server.port_end, "region": "nam", "is_active": True,
                                "remote_http": "171.243.255.207:31194", "remote_ip": "171.243.255.207",
                                "location": "Bình Thuận", "status": "active", "created_at": "2025-11-13T10:00:00Z"},
                               {"id": 4, "user_id": 7, "kiotproxy_key": "", "subdomain": "proxy78", "port": 1}],
                "logs": [{"id": 1, "proxy_id": 3, "action": "rotate", "region": "nam", "status": "success",
                          "details": "Rotated to 171.243.255.207",
                          "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))}]}
        st, report, _ = self.admin.post("/api/import", data)
        self.assertEqual(st, 200, report)
        self.assertEqual(report["imported"], {"settings": 1, "users": 1, "keys": 1, "logs": 1}, report)
        self.assertEqual(len(report["skipped"]), 1)                     # the empty key, with why
        legacy = self.server.login("legacy", password)                 # the bcrypt password works
        keys = legacy.get("/api/proxies")[1]
        self.assertEqual([(k["subdomain"], k["port"], k["region"], k["key_name"]) for k in keys],
                         [("proxy77", self.server.port_end, "nam", "My Proxy 1")])
        logs = legacy.get(f"/api/logs?proxy_id={keys[0]['id']}")[1]
        self.assertIn("Rotated to 171.243.255.207", [l["details"] for l in logs])
        st, again, _ = self.admin.post("/api/import", data)
        self.assertEqual(again["imported"], {"settings": 0, "users": 0, "keys": 0, "logs": 0}, again)
        self.assertEqual(self.admin.get("/api/settings")[1]["auto_rotate_interval_minutes"], 12)
        self.error(self.admin.post("/api/import", {"something": "else"}), 422)
        # the first login re-hashed the imported bcrypt password with Argon2id; it still verifies
        import os, sqlite3
        db = sqlite3.connect(os.path.join(self.server.data_dir, "plugins", "storage.sqlite", "steadyproxy.db"))
        (stored,) = db.execute("SELECT password_hash FROM users WHERE username = 'legacy'").fetchone()
        db.close()
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        self.server.login("legacy", password)
        # the provider keys are stored encrypted, never in clear
        db = sqlite3.connect(os.path.join(self.server.data_dir, "plugins", "storage.sqlite", "steadyproxy.db"))
        dump = "\n".join(db.iterdump())
        db.close()
        self.assertNotIn(key, dump)
        self.assertNotIn(key, self.server.log_text())

    # ------------------------------------------------------------------ OpenAPI
    def test_openapi_lists_every_route_that_answers(self):
        st, doc, _ = self.server.client().get("/api/openapi.json")
        self.assertEqual(st, 200)
        self.assertEqual(doc["openapi"][:2], "3.")
        paths = doc["paths"]
        for path in ["/api/auth/login", "/api/proxies", "/api/proxies/{id}/rotate", "/api/proxies/bulk-import",
                     "/api/settings", "/api/logs", "/api/users", "/api/tokens", "/api/plugins", "/api/events",
                     "/api/import", "/api/testing/clock"]:
            self.assertIn(path, paths)
        # every documented route answers (not 404/405) with its method
        anonymous = self.server.client()
        for path, methods in paths.items():
            concrete = path.replace("{id}", "1")
            for method in methods:
                if path == "/api/events":
                    continue
                st, body, _ = anonymous.request(method.upper(), concrete, {} if method != "get" else None)
                self.assertNotIn(st, (404, 405), f"{method.upper()} {concrete}: {body}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
