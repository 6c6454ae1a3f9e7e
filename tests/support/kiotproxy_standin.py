#!/usr/bin/env python3
"""A local stand-in for the KiotProxy API (see shared/kiotproxy-api.md), for tests.

It answers ``GET /api/v1/proxies/new|current|out?key=...`` with the exact JSON shapes of the
real service, keeps per-key state on a clock the test controls, and for every IP it hands
out runs a REAL HTTP proxy and a REAL SOCKS5 proxy (from sp_testnet) on a distinct loopback
address (127.0.0.2, 127.0.0.3, ...) whose outgoing connections leave from that address, so a
test can see which upstream carried a request.

Two ways to drive it:

* in the same process::

      from kiotproxy_standin import KiotStandin
      with KiotStandin(lifetime=20, change_interval=5) as s:
          key = s.add_key()
          s.advance(6)                 # move the stand-in's clock
          s.inject("status", status=503, count=2)
          print(s.base_url, s.calls)

* as a process: ``python3 kiotproxy_standin.py --port 0`` prints ``READY <port>`` and serves
  a control API under ``/_control/...`` (JSON POST bodies, JSON answers). ``StandinProcess``
  starts that process and offers the same methods as ``KiotStandin`` over the control API:

  ==============================  ===================================================
  POST /_control/keys             {"key"?: str, options...} -> {"key": ...}
  POST /_control/keys/options     {"key": str, options...}
  POST /_control/keys/expire      {"key": str, "message"?: str}   subscription ran out
  POST /_control/keys/remove      {"key": str}                     KEY_NOT_FOUND from now
  POST /_control/keys/assign      {"key": str, "region"?: str}     give it a (new) IP now
  POST /_control/settings         {global options...}
  POST /_control/clock            {"offset_seconds": x} or {"advance_seconds": x}
  POST /_control/faults           {"faults": [{"kind":..., "count":..., ...}, ...]}
  POST /_control/faults/clear     {}
  GET  /_control/calls            -> {"calls": [...]}
  POST /_control/calls/clear      {}
  GET  /_control/state            -> keys, assignments, clock
  POST /_control/stop             {}     stops the process
  ==============================  ===================================================

Key options: lifetime (s), change_interval (s), too_early ("refuse" | "unchanged"),
proxy_user / proxy_pass (proxies require them and answers carry proxyUser/proxyPass),
expired (bool), expired_message.
Global options: the key options as defaults, error_status (400 | 200: HTTP status of
business errors), grace (s before a released or replaced IP's proxies stop),
out_when_none ("fail" | "ok"), too_early_message (with {seconds}), too_early_error,
too_early_code.

Fault kinds (each applies to the next `count` API calls, optionally only to `path` in
new|current|out; with "process": true the call takes effect first and only its answer is
lost or replaced, as when a gateway fails after the API did the work):
  status     answer HTTP `status` (429, 500, 502, 503, ...) with `body` (default: an
             nginx-like HTML page for 5xx, a JSON error for 429)
  latency    wait `ms` milliseconds, then answer normally
  malformed  HTTP 200 with a truncated JSON body
  drop       close the connection without answering
  raw        HTTP `status` (default 200) with the exact `body` given (str or JSON value)

Python 3.11 standard library only (plus sp_testnet for the proxies).
"""
from __future__ import annotations

import argparse
import copy
import ipaddress
import json
import math
import random
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["KiotStandin", "StandinProcess", "mask_key", "KEY_EXPIRED_MESSAGE", "REGIONS", "LOCATIONS"]

KEY_EXPIRED_MESSAGE = "Key proxy đã hết hạn, vui lòng gia hạn để tiếp tục sử dụng"
REGIONS = ("bac", "trung", "nam", "random")
LOCATIONS = {
    "bac": ["Hà Nội", "Phú Thọ", "Hải Phòng", "Bắc Ninh", "Thái Nguyên"],
    "trung": ["Đà Nẵng", "Thừa Thiên Huế", "Nghệ An", "Quảng Nam", "Khánh Hòa"],
    "nam": ["Hồ Chí Minh", "Bình Thuận", "Cần Thơ", "Đồng Nai", "Bà Rịa - Vũng Tàu"],
}

CODE_KEY_NOT_FOUND = 40400006
CODE_PROXY_NOT_FOUND = 40001050
CODE_KEY_EXPIRED = 40001040      # unknown for the real service (guess)
CODE_INVALID_REGION = 40000001   # unknown for the real service (guess)

KEY_OPTIONS = ("lifetime", "change_interval", "too_early", "proxy_user", "proxy_pass",
               "expired", "expired_message")
GLOBAL_OPTIONS = KEY_OPTIONS + ("error_status", "grace", "out_when_none", "too_early_message",
                                "too_early_error", "too_early_code")
FAULT_KINDS = ("status", "latency", "malformed", "drop", "raw")


def mask_key(key: str) -> str:
    """The way KiotProxy shows a key in messages: first 8, '...', last 6."""
    if len(key) <= 14:
        return key[:2] + "..." if len(key) > 2 else "..."
    return key[:8] + "..." + key[-6:]


def new_key() -> str:
    """A key in the likely real form: K + 32 hex digits."""
    return "K" + secrets.token_hex(16)


class _Assignment:
    """One IP handed to a key, with the real proxies serving it."""

    def __init__(self, ip, http_port, socks_port, assigned_at, lifetime, change_interval,
                 location, region, user, password, proxies):
        self.ip = ip
        self.http_port = http_port
        self.socks_port = socks_port
        self.assigned_at = assigned_at
        self.expiration_at = assigned_at + int(lifetime * 1000)
        self.next_request_at = assigned_at + int(change_interval * 1000)
        self.ttl = int(lifetime)
        self.location = location
        self.region = region
        self.user = user
        self.password = password
        self.proxies = proxies  # list of objects with .stop()

    def data(self, now_ms: int) -> dict:
        d = {
            "realIpAddress": self.ip,
            "http": f"{self.ip}:{self.http_port}",
            "socks5": f"{self.ip}:{self.socks_port}",
            "httpPort": self.http_port,
            "socks5Port": self.socks_port,
            "host": self.ip,
            "location": self.location,
            "expirationAt": self.expiration_at,
            "nextRequestAt": self.next_request_at,
            "ttl": self.ttl,
            "ttc": max(0, math.floor((self.next_request_at - now_ms) / 1000)),
        }
        if self.user is not None:
            d["proxyUser"] = self.user
            d["proxyPass"] = self.password or ""
        return d

    def describe(self, now_ms: int) -> dict:
        d = self.data(now_ms)
        d["region"] = self.region
        d["assignedAt"] = self.assigned_at
        return d


class _KeyState:
    def __init__(self, key: str, opts: dict):
        self.key = key
        self.opts = opts          # per-key overrides of the global options
        self.assignment: _Assignment | None = None
        self.history: list[dict] = []


class KiotStandin:
    """The stand-in server. Thread-safe. Use start()/stop() or a `with` block."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, lifetime: float = 1200,
                 change_interval: float = 60, too_early: str = "refuse", error_status: int = 400,
                 grace: float = 2.0, proxies: bool = True, out_when_none: str = "fail",
                 first_ip: str = "127.0.0.2", seed: int | None = None,
                 too_early_message: str = "Bạn chỉ có thể đổi proxy sau {seconds} giây nữa",
                 too_early_error: str = "TOO_MANY_REQUEST_CHANGE_PROXY",
                 too_early_code: int = 40001052):
        self.host = host
        self._requested_port = port
        self._lock = threading.RLock()
        self._settings = {
            "lifetime": lifetime, "change_interval": change_interval, "too_early": too_early,
            "proxy_user": None, "proxy_pass": None, "expired": False,
            "expired_message": KEY_EXPIRED_MESSAGE, "error_status": error_status,
            "grace": grace, "out_when_none": out_when_none,
            "too_early_message": too_early_message, "too_early_error": too_early_error,
            "too_early_code": too_early_code,
        }
        self._check_options(self._settings, GLOBAL_OPTIONS)
        self._run_proxies = proxies
        self._keys: dict[str, _KeyState] = {}
        self._offset_ms = 0
        self._faults: list[dict] = []
        self._calls: list[dict] = []
        self._next_ip = int(ipaddress.IPv4Address(first_ip))
        self._ips_in_use: set[str] = set()
        self._rng = random.Random(seed)
        self._timers: list[threading.Timer] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reaper: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "KiotStandin":
        standin = self

        class Handler(_Handler):
            pass
        Handler.standin = standin
        self._server = _Server((self.host, self._requested_port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True,
                                        name="kiot-standin")
        self._thread.start()
        self._reaper = threading.Thread(target=self._reap_loop, daemon=True, name="kiot-reaper")
        self._reaper.start()
        return self

    def stop(self) -> None:
        """Stops the API server and every proxy at once (no grace)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
        if self._reaper is not None:
            self._reaper.join(5)
        with self._lock:
            timers, self._timers = self._timers, []
            proxies = []
            for st in self._keys.values():
                if st.assignment is not None:
                    proxies.extend(st.assignment.proxies)
                    st.assignment.proxies = []
        for t in timers:
            t.cancel()
            t.function(*t.args)  # run the pending stops now
        for p in proxies:
            _stop_quietly(p)

    def __enter__(self) -> "KiotStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What a client uses as api_base: http://host:port/api/v1"""
        return f"http://{self.host}:{self.port}/api/v1"

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.port}/_control"

    # ---------------------------------------------------------------- clock
    def now_ms(self) -> int:
        """The stand-in's clock: real time plus the injected offset, epoch ms."""
        return int(time.time() * 1000) + self._offset_ms

    def advance(self, seconds: float) -> None:
        """Moves the stand-in's clock forward (or back, if negative)."""
        with self._lock:
            self._offset_ms += int(round(seconds * 1000))
        self._reap()

    def set_clock_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset_ms = int(round(seconds * 1000))
        self._reap()

    # ---------------------------------------------------------------- keys
    @staticmethod
    def _check_options(opts: dict, allowed) -> None:
        for k in opts:
            if k not in allowed:
                raise ValueError(f"unknown option {k!r}; allowed: {', '.join(allowed)}")
        if "too_early" in opts and opts["too_early"] not in ("refuse", "unchanged"):
            raise ValueError("too_early must be 'refuse' or 'unchanged'")
        if "error_status" in opts and int(opts["error_status"]) not in (200, 400):
            raise ValueError("error_status must be 400 or 200")
        if "out_when_none" in opts and opts["out_when_none"] not in ("fail", "ok"):
            raise ValueError("out_when_none must be 'fail' or 'ok'")
        for k in ("lifetime", "change_interval", "grace"):
            if k in opts and (not isinstance(opts[k], (int, float)) or opts[k] < 0):
                raise ValueError(f"{k} must be a number of seconds >= 0")

    def add_key(self, key: str | None = None, **options) -> str:
        """Registers a key (a fresh one in the K+32-hex form when None). Returns it."""
        self._check_options(options, KEY_OPTIONS)
        key = key or new_key()
        with self._lock:
            self._keys[key] = _KeyState(key, dict(options))
        return key

    def set_key(self, key: str, **options) -> None:
        self._check_options(options, KEY_OPTIONS)
        with self._lock:
            self._state(key).opts.update(options)

    def set(self, **settings) -> None:
        """Changes global settings (defaults for every key, error_status, grace, ...)."""
        self._check_options(settings, GLOBAL_OPTIONS)
        with self._lock:
            self._settings.update(settings)

    def expire_key(self, key: str, message: str | None = None) -> None:
        """The key's subscription ran out: its IP goes away, calls answer KEY_EXPIRED."""
        opts = {"expired": True}
        if message is not None:
            opts["expired_message"] = message
        with self._lock:
            st = self._state(key)
            st.opts.update(opts)
            self._drop_assignment(st, "key expired")

    def remove_key(self, key: str) -> None:
        with self._lock:
            st = self._keys.pop(key, None)
            if st is not None:
                self._drop_assignment(st, "key removed")

    def assignment(self, key: str) -> dict | None:
        """What the key holds now (the /current data plus region and assignedAt), or None."""
        self._reap()
        with self._lock:
            st = self._state(key)
            return st.assignment.describe(self.now_ms()) if st.assignment else None

    def history(self, key: str) -> list[dict]:
        """Every IP the key has held, oldest first, with why it ended."""
        with self._lock:
            return copy.deepcopy(self._state(key).history)

    def assign_now(self, key: str, region: str = "random") -> dict:
        """Gives the key a (new) IP at once, as if /new had been called and allowed."""
        with self._lock:
            st = self._state(key)
            self._assign(st, region, self.now_ms())
            return st.assignment.describe(self.now_ms())

    def _state(self, key: str) -> _KeyState:
        st = self._keys.get(key)
        if st is None:
            raise KeyError(f"unknown key {mask_key(key)}")
        return st

    def _opt(self, st: _KeyState | None, name: str):
        if st is not None and name in st.opts:
            return st.opts[name]
        return self._settings[name]

    # ---------------------------------------------------------------- faults and log
    def inject(self, kind: str, count: int = 1, path: str | None = None, **params) -> None:
        """Makes the next `count` API calls (to `path` only, if given) misbehave."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; allowed: {', '.join(FAULT_KINDS)}")
        if path is not None and path not in ("new", "current", "out"):
            raise ValueError("path must be new, current or out")
        if kind == "status" and "status" not in params:
            raise ValueError("a status fault needs status=")
        if kind == "latency" and "ms" not in params:
            raise ValueError("a latency fault needs ms=")
        with self._lock:
            self._faults.append({"kind": kind, "count": int(count), "path": path, **params})

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> dict | None:
        with self._lock:
            for f in self._faults:
                if f["path"] in (None, path) and f["count"] > 0:
                    f["count"] -= 1
                    taken = dict(f)
                    self._faults = [g for g in self._faults if g["count"] > 0]
                    return taken
        return None

    @property
    def calls(self) -> list[dict]:
        """Every API call so far: {"at", "path", "key", "region", "query", "status", "fault",
        "result"} (at = the stand-in's clock; status None for a dropped connection)."""
        with self._lock:
            return copy.deepcopy(self._calls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def calls_to(self, path: str) -> list[dict]:
        return [c for c in self.calls if c["path"] == path]

    # ---------------------------------------------------------------- IPs and proxies
    def _allocate_ip(self) -> str:
        while True:
            ip = str(ipaddress.IPv4Address(self._next_ip))
            self._next_ip += 1
            if self._next_ip >= int(ipaddress.IPv4Address("127.255.255.254")):
                self._next_ip = int(ipaddress.IPv4Address("127.0.0.2"))
            if ip not in self._ips_in_use:
                self._ips_in_use.add(ip)
                return ip

    def _start_proxies(self, ip: str, user, password):
        """Starts an HTTP and a SOCKS5 proxy on `ip`; ports consecutive when possible."""
        if not self._run_proxies:
            return _free_port(ip), _free_port(ip), []
        import sp_testnet  # the shared test network helpers (real proxies)
        auth = {}
        if user is not None:
            auth = {"username": user, "password": password or ""}
        http = sp_testnet.HttpProxy(ip, 0, **auth).start()
        socks = None
        for port in (http.port + 1, 0):
            if port > 65535:
                continue
            try:
                socks = sp_testnet.Socks5Proxy(ip, port, **auth).start()
                break
            except OSError:
                continue
        if socks is None:
            _stop_quietly(http)
            raise OSError(f"cannot start a SOCKS5 proxy on {ip}")
        return http.port, socks.port, [http, socks]

    def _assign(self, st: _KeyState, region: str, now: int) -> None:
        old = st.assignment
        if old is not None:
            self._drop_assignment(st, "replaced")
        ip = self._allocate_ip()
        user, password = self._opt(st, "proxy_user"), self._opt(st, "proxy_pass")
        http_port, socks_port, proxies = self._start_proxies(ip, user, password)
        real_region = region if region != "random" else self._rng.choice(("bac", "trung", "nam"))
        location = self._rng.choice(LOCATIONS[real_region])
        st.assignment = _Assignment(ip, http_port, socks_port, now, self._opt(st, "lifetime"),
                                    self._opt(st, "change_interval"), location, region, user,
                                    password, proxies)
        st.history.append({"ip": ip, "assignedAt": now, "region": region, "location": location,
                           "ended": None})

    def _drop_assignment(self, st: _KeyState, why: str) -> None:
        a = st.assignment
        if a is None:
            return
        st.assignment = None
        for h in reversed(st.history):
            if h["ip"] == a.ip and h["ended"] is None:
                h["ended"] = why
                break
        proxies, a.proxies = a.proxies, []
        grace = float(self._opt(st, "grace"))

        def finish(ip=a.ip, proxies=proxies):
            for p in proxies:
                _stop_quietly(p)
            with self._lock:
                self._ips_in_use.discard(ip)

        if self._stopping.is_set() or grace <= 0:
            finish()
            return
        t = threading.Timer(grace, finish)
        t.daemon = True
        self._timers.append(t)
        self._timers = [x for x in self._timers if x.is_alive() or x is t]
        t.start()

    def _reap(self) -> None:
        """Drops every assignment whose expirationAt has passed on the stand-in's clock."""
        with self._lock:
            now = self.now_ms()
            for st in self._keys.values():
                if st.assignment is not None and now >= st.assignment.expiration_at:
                    self._drop_assignment(st, "expired")

    def _reap_loop(self) -> None:
        while not self._stopping.wait(0.2):
            try:
                self._reap()
            except Exception as e:  # keep reaping; a test will see the effect
                print(f"kiotproxy_standin: reaper: {e}", file=sys.stderr)

    # ---------------------------------------------------------------- the API
    def _envelope_ok(self, data, now: int) -> dict:
        return {"data": data, "success": True, "code": 200, "timestamp": now, "status": "SUCCESS"}

    def _fail(self, code: int, message: str, error: str, now: int, st=None):
        body = {"success": False, "code": code, "message": message, "timestamp": now,
                "status": "FAIL", "error": error}
        return int(self._opt(st, "error_status")), body

    def handle_api(self, path: str, query: dict) -> tuple[int, dict]:
        """Answers one API call: returns (HTTP status, JSON body)."""
        self._reap()
        with self._lock:
            now = self.now_ms()
            key = query.get("key", "")
            st = self._keys.get(key)
            if st is None:
                return self._fail(CODE_KEY_NOT_FOUND, "Key not found", "KEY_NOT_FOUND", now)
            if self._opt(st, "expired"):
                return self._fail(CODE_KEY_EXPIRED, self._opt(st, "expired_message"),
                                  "KEY_EXPIRED", now, st)
            if path == "current":
                if st.assignment is None:
                    return self._fail(CODE_PROXY_NOT_FOUND,
                                      f"Could not find the proxy being used by key {mask_key(key)}",
                                      "PROXY_NOT_FOUND_BY_KEY", now, st)
                return 200, self._envelope_ok(st.assignment.data(now), now)
            if path == "out":
                if st.assignment is None and self._opt(st, "out_when_none") == "fail":
                    return self._fail(CODE_PROXY_NOT_FOUND,
                                      f"Could not find the proxy being used by key {mask_key(key)}",
                                      "PROXY_NOT_FOUND_BY_KEY", now, st)
                self._drop_assignment(st, "released")
                return 200, self._envelope_ok(True, now)
            # /new
            region = query.get("region", "random") or "random"
            if region not in REGIONS:
                return self._fail(CODE_INVALID_REGION,
                                  f"Region '{region}' is not valid, use one of: bac, trung, nam, random",
                                  "INVALID_REGION", now, st)
            a = st.assignment
            if a is not None and now < a.next_request_at:
                if self._opt(st, "too_early") == "unchanged":
                    return 200, self._envelope_ok(a.data(now), now)
                seconds = max(1, math.ceil((a.next_request_at - now) / 1000))
                message = self._opt(st, "too_early_message").format(seconds=seconds)
                return self._fail(int(self._opt(st, "too_early_code")), message,
                                  self._opt(st, "too_early_error"), now, st)
            self._assign(st, region, now)
            return 200, self._envelope_ok(st.assignment.data(now), now)

    def log_call(self, entry: dict) -> None:
        with self._lock:
            self._calls.append(entry)

    # ---------------------------------------------------------------- control API
    def handle_control(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        if method == "GET" and path == "calls":
            return 200, {"calls": self.calls}
        if method == "GET" and path == "state":
            self._reap()
            with self._lock:
                now = self.now_ms()
                keys = {k: {"options": dict(st.opts),
                            "assignment": st.assignment.describe(now) if st.assignment else None,
                            "history": copy.deepcopy(st.history)}
                        for k, st in self._keys.items()}
                return 200, {"now": now, "offset_ms": self._offset_ms, "keys": keys,
                             "settings": dict(self._settings), "faults": copy.deepcopy(self._faults)}
        if method != "POST":
            return 405, {"error": "use POST with a JSON body (GET only for calls and state)"}
        body = dict(body or {})
        if path == "keys":
            key = self.add_key(body.pop("key", None), **body)
            return 200, {"key": key}
        if path == "keys/options":
            self.set_key(body.pop("key"), **body)
            return 200, {"ok": True}
        if path == "keys/expire":
            self.expire_key(body["key"], body.get("message"))
            return 200, {"ok": True}
        if path == "keys/remove":
            self.remove_key(body["key"])
            return 200, {"ok": True}
        if path == "keys/assign":
            return 200, {"assignment": self.assign_now(body["key"], body.get("region", "random"))}
        if path == "settings":
            self.set(**body)
            return 200, {"ok": True}
        if path == "clock":
            if "offset_seconds" in body:
                self.set_clock_offset(float(body["offset_seconds"]))
            if "advance_seconds" in body:
                self.advance(float(body["advance_seconds"]))
            return 200, {"now": self.now_ms(), "offset_ms": self._offset_ms}
        if path == "faults":
            for f in body.get("faults", [body] if "kind" in body else []):
                f = dict(f)
                self.inject(f.pop("kind"), f.pop("count", 1), f.pop("path", None), **f)
            return 200, {"ok": True}
        if path == "faults/clear":
            self.clear_faults()
            return 200, {"ok": True}
        if path == "calls/clear":
            self.clear_calls()
            return 200, {"ok": True}
        if path == "stop":
            threading.Thread(target=self.stop, daemon=True).start()
            return 200, {"ok": True}
        return 404, {"error": f"no control call {path!r}"}


def _stop_quietly(p) -> None:
    try:
        p.stop()
    except Exception as e:
        print(f"kiotproxy_standin: stopping a proxy: {e}", file=sys.stderr)


def _free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # A client that gives up (timeout) or a dropped-connection fault: nothing to report.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)


MALFORMED_BODY = b'{"data": {"realIpAddress": "127.0.0.2", "http": "127.0.0.2:3'
HTML_5XX = ("<html>\r\n<head><title>{s} {r}</title></head>\r\n<body>\r\n<center><h1>{s} {r}</h1>"
            "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class _Handler(BaseHTTPRequestHandler):
    standin: KiotStandin = None  # set per server
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the call log says what happened
        pass

    def _send(self, status: int, body, content_type="application/json", extra=None):
        if isinstance(body, (dict, list, bool)) or body is None:
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            raw = body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str):
        s = self.standin
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_control/"):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                status, answer = s.handle_control(method, url.path[len("/_control/"):].strip("/"), body)
            except (KeyError, ValueError, TypeError) as e:
                status, answer = 400, {"error": str(e)}
            self._send(status, answer)
            return
        prefix = "/api/v1/proxies/"
        if not url.path.startswith(prefix) or url.path[len(prefix):] not in ("new", "current", "out"):
            self._send(404, {"timestamp": s.now_ms(), "status": 404, "error": "Not Found",
                             "path": url.path})
            return
        if method != "GET":
            self._send(405, {"timestamp": s.now_ms(), "status": 405, "error": "Method Not Allowed",
                             "path": url.path})
            return
        path = url.path[len(prefix):]
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        entry = {"at": s.now_ms(), "path": path, "key": query.get("key"),
                 "region": query.get("region"), "query": query, "status": None, "fault": None,
                 "result": None}
        fault = s._take_fault(path)
        if fault is not None:
            entry["fault"] = fault["kind"]
            kind = fault["kind"]
            if fault.get("process") and kind != "latency":
                # The call takes effect, but the client never sees the real answer.
                _, processed = s.handle_api(path, query)
                entry["result"] = processed.get("error") or processed.get("status")
            if kind == "latency":
                time.sleep(float(fault["ms"]) / 1000.0)
            elif kind == "drop":
                s.log_call(entry)
                self._drop()
                return
            elif kind == "malformed":
                entry["status"] = 200
                s.log_call(entry)
                self._send(200, MALFORMED_BODY)
                return
            elif kind == "status":
                st = int(fault["status"])
                body = fault.get("body")
                ctype = fault.get("content_type")
                if body is None:
                    if st == 429:
                        body = {"timestamp": s.now_ms(), "status": 429, "error": "Too Many Requests"}
                    else:
                        reason = {500: "Internal Server Error", 502: "Bad Gateway",
                                  503: "Service Temporarily Unavailable",
                                  504: "Gateway Time-out"}.get(st, "Error")
                        body = HTML_5XX.format(s=st, r=reason)
                        ctype = ctype or "text/html"
                extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
                entry["status"] = st
                s.log_call(entry)
                self._send(st, body, ctype or "application/json", extra)
                return
            elif kind == "raw":
                st = int(fault.get("status", 200))
                entry["status"] = st
                s.log_call(entry)
                self._send(st, fault.get("body", ""), fault.get("content_type", "application/json"))
                return
        try:
            status, body = s.handle_api(path, query)
        except Exception as e:  # a bug in the stand-in: say so loudly, answer 500
            print(f"kiotproxy_standin: {path}: {e!r}", file=sys.stderr)
            status, body = 500, {"error": f"stand-in bug: {e!r}"}
        entry["status"] = status
        entry["result"] = body.get("error") or body.get("status")
        s.log_call(entry)
        self._send(status, body)


class StandinProcess:
    """The stand-in as a separate process (the CLI), driven through /_control, with the
    same methods as KiotStandin. stop() ends the process it started, by its pid."""

    def __init__(self, *args: str, python: str | None = None):
        self._args = list(args)
        self._python = python or sys.executable
        self.proc = None
        self.port = 0
        self.host = "127.0.0.1"

    def start(self, timeout: float = 15) -> "StandinProcess":
        import subprocess
        self.proc = subprocess.Popen([self._python, "-u", __file__, "--port", "0", *self._args],
                                     stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().strip()
            if line.startswith("READY ") or self.proc.poll() is not None:
                break
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        import subprocess
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/v1"

    def control(self, path: str, body: dict | None = None):
        import urllib.request
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://{self.host}:{self.port}/_control/{path}", data=data,
                                     headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode("utf-8"))

    def add_key(self, key: str | None = None, **options) -> str:
        return self.control("keys", {**({"key": key} if key else {}), **options})["key"]

    def set_key(self, key: str, **options) -> None:
        self.control("keys/options", {"key": key, **options})

    def set(self, **settings) -> None:
        self.control("settings", settings)

    def expire_key(self, key: str, message: str | None = None) -> None:
        self.control("keys/expire", {"key": key, **({"message": message} if message else {})})

    def remove_key(self, key: str) -> None:
        self.control("keys/remove", {"key": key})

    def assign_now(self, key: str, region: str = "random") -> dict:
        return self.control("keys/assign", {"key": key, "region": region})["assignment"]

    def advance(self, seconds: float) -> None:
        self.control("clock", {"advance_seconds": seconds})

    def set_clock_offset(self, seconds: float) -> None:
        self.control("clock", {"offset_seconds": seconds})

    def now_ms(self) -> int:
        return self.control("state")["now"]

    def inject(self, kind: str, count: int = 1, path: str | None = None, **params) -> None:
        self.control("faults", {"faults": [{"kind": kind, "count": count, "path": path, **params}]})

    def clear_faults(self) -> None:
        self.control("faults/clear", {})

    @property
    def calls(self) -> list:
        return self.control("calls")["calls"]

    def calls_to(self, path: str) -> list:
        return [c for c in self.calls if c["path"] == path]

    def clear_calls(self) -> None:
        self.control("calls/clear", {})

    def assignment(self, key: str) -> dict | None:
        return self.control("state")["keys"][key]["assignment"]

    def history(self, key: str) -> list:
        return self.control("state")["keys"][key]["history"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="KiotProxy API stand-in for tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=1200, help="seconds an IP lives (ttl)")
    ap.add_argument("--change-interval", type=float, default=60,
                    help="seconds before /new may change the IP")
    ap.add_argument("--too-early", choices=("refuse", "unchanged"), default="refuse")
    ap.add_argument("--error-status", type=int, choices=(400, 200), default=400)
    ap.add_argument("--grace", type=float, default=2.0,
                    help="seconds a released or replaced IP's proxies keep running")
    ap.add_argument("--no-proxies", action="store_true", help="report ports but run no proxies")
    ap.add_argument("--key", action="append", default=[], help="a key to know from the start")
    args = ap.parse_args(argv)
    s = KiotStandin(args.host, args.port, lifetime=args.lifetime,
                    change_interval=args.change_interval, too_early=args.too_early,
                    error_status=args.error_status, grace=args.grace,
                    proxies=not args.no_proxies).start()
    for k in args.key:
        s.add_key(k)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"READY {s.port}", flush=True)
    while not done.wait(0.2):
        if s._stopping.is_set():
            break
    s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
