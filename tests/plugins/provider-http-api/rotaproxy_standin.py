"""A stand-in for "RotaProxy", a made-up second rotating-proxy vendor whose API looks
nothing like KiotProxy's, used to prove that provider.http-api is configured by YAML alone.

    POST /v2/rotate   {"api_key": K, "pool": P}   assign a new proxy (or change it)
    POST /v2/current  {"api_key": K, "pool": P}   the proxy assigned now
    POST /v2/release  {"api_key": K, "pool": P}   give the proxy back

Success (HTTP 200):
    {"ok": true, "result": {"proxy": {"host": "127.0.0.2", "port": 41000, "scheme": "socks5",
     "user": "rp-...", "pass": "..."}, "exit_ip": "203.0.113.7", "city": "Zürich",
     "valid_until": "2026-05-01T10:00:00.250Z", "next_rotation_in": 30}}
Failure (HTTP 403/402/409/404/400, JSON whatever the status):
    {"ok": false, "error": {"code": "E_KEY", "text": "..."}}

Codes: E_KEY (unknown key, 403), E_EXPIRED (subscription ended, 402), E_TOO_SOON (rotation
before next_rotation_in ran out, 409, text names the seconds), E_NO_PROXY (/current or
/release without a proxy, 404), E_POOL (unknown pool, 400).

Runs in the test's process on a loopback port chosen at run time. Faults are queued with
`fault(...)` and each is consumed by the next request: "429", "503", "malformed" (200 with
broken JSON), "html404" (a 404 HTML page), "drop" (close without answering), "delay:<ms>",
"missing:<dotted.path>" / "wrongtype:<dotted.path>" (the next success lacks / mangles it).
Every request is recorded in `requests`."""
import datetime
import http.server
import itertools
import json
import socketserver
import threading
import time

POOLS = {"random": "Zürich", "eu": "Zürich", "us": "Dallas", "asia": "Đà Nẵng"}


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class RotaProxyStandin:
    def __init__(self, lifetime=1200, interval=30):
        self.lifetime = lifetime
        self.interval = interval
        self.keys = {}           # key -> {"expired": bool, "proxy": dict|None, "assigned_at": float}
        self.faults = []
        self.requests = []
        self.lock = threading.Lock()
        self._ips = itertools.count(10)
        self._ports = itertools.count(41000)
        self._server = None

    # ------------------------------------------------------------------ control
    def add_key(self, key, expired=False):
        with self.lock:
            self.keys[key] = {"expired": expired, "proxy": None, "assigned_at": 0.0}

    def fault(self, *faults):
        with self.lock:
            self.faults.extend(faults)

    def allow_rotation_now(self, key):
        with self.lock:
            self.keys[key]["assigned_at"] -= self.interval + 1

    def assigned(self, key):
        with self.lock:
            p = self.keys[key]["proxy"]
            return dict(p) if p else None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self):
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.do_POST()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with standin.lock:
                    standin.requests.append({"method": self.command, "path": self.path,
                                             "headers": dict(self.headers), "body": raw.decode("utf-8", "replace")})
                    fault = standin.faults.pop(0) if standin.faults else None
                mangle = None
                if fault:
                    if fault.startswith("delay:"):
                        time.sleep(int(fault[6:]) / 1000)
                    elif fault == "drop":
                        self.close_connection = True
                        self.connection.close()
                        return
                    elif fault in ("429", "503"):
                        return self._send(int(fault), b'{"ok":false,"error":{"code":"E_BUSY","text":"slow down"}}',
                                          extra={"Retry-After": "0"} if fault == "429" else None)
                    elif fault == "malformed":
                        return self._send(200, b'{"ok": true, "result": {"proxy": ')
                    elif fault == "html404":
                        return self._send(404, b"<html><body>Not Found</body></html>", ctype="text/html")
                    elif fault.startswith(("missing:", "wrongtype:")):
                        mangle = fault
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._fail(400, "E_BODY", "the body is not JSON")
                status, answer = standin._answer(self.command, self.path, body)
                if mangle and answer.get("ok"):
                    _mangle(answer, mangle)
                self._send(status, json.dumps(answer, ensure_ascii=False).encode("utf-8"))

            def _fail(self, status, code, text):
                self._send(status, json.dumps({"ok": False, "error": {"code": code, "text": text}}).encode())

            def _send(self, status, data, ctype="application/json; charset=utf-8", extra=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a timeout test): nothing to tell it

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ the API
    def _answer(self, method, path, body):
        def fail(status, code, text):
            return status, {"ok": False, "error": {"code": code, "text": text}}

        if method != "POST":
            return fail(405, "E_METHOD", "use POST")
        key = body.get("api_key", "")
        pool = body.get("pool", "random")
        with self.lock:
            state = self.keys.get(key)
            if state is None:
                masked = key[:8] + "..." + key[-6:] if len(key) >= 20 else "?"
                return fail(403, "E_KEY", f"unknown api key {masked}")
            if state["expired"]:
                return fail(402, "E_EXPIRED", "Your subscription ended on 2026-01-31. Renew it to continue.")
            now = time.time()
            if path == "/v2/rotate":
                if pool not in POOLS:
                    return fail(400, "E_POOL", f"unknown pool '{pool}'")
                if state["proxy"] and now < state["assigned_at"] + self.interval:
                    wait = int(state["assigned_at"] + self.interval - now) + 1
                    return fail(409, "E_TOO_SOON", f"rotation allowed in {wait} s")
                n = next(self._ips)
                state["proxy"] = {"host": f"127.0.0.{n}", "port": next(self._ports), "scheme": "socks5",
                                  "user": f"rp-{n}", "pass": f"pw:{n}@x", "exit_ip": f"203.0.113.{n}",
                                  "city": POOLS[pool], "pool": pool,
                                  "valid_until": now + self.lifetime}
                state["assigned_at"] = now
                return 200, self._success(state, now)
            if path == "/v2/current":
                if not state["proxy"] or state["proxy"]["valid_until"] <= now:
                    return fail(404, "E_NO_PROXY", "no proxy is assigned to this key")
                return 200, self._success(state, now)
            if path == "/v2/release":
                if not state["proxy"]:
                    return fail(404, "E_NO_PROXY", "no proxy is assigned to this key")
                state["proxy"] = None
                return 200, {"ok": True, "result": {"released": True}}
            return fail(404, "E_PATH", "no such call")

    def _success(self, state, now):
        p = state["proxy"]
        until = datetime.datetime.fromtimestamp(p["valid_until"], datetime.timezone.utc)
        return {"ok": True, "result": {
            "proxy": {"host": p["host"], "port": p["port"], "scheme": p["scheme"], "user": p["user"], "pass": p["pass"]},
            "exit_ip": p["exit_ip"], "city": p["city"],
            "valid_until": until.strftime("%Y-%m-%dT%H:%M:%S.") + f"{until.microsecond // 1000:03d}Z",
            "next_rotation_in": max(0, int(state["assigned_at"] + self.interval - now))}}


def _mangle(answer, fault):
    kind, path = fault.split(":", 1)
    parts = path.split(".")
    node = answer
    for p in parts[:-1]:
        node = node[p]
    if kind == "missing":
        del node[parts[-1]]
    else:
        node[parts[-1]] = [1, 2]
