"""Run a real steadyproxy server for a test: a temporary data folder, a config file on
free loopback ports, the real binary ($STEADYPROXY_BIN), and a small JSON API client.

    with SteadyproxyServer(api_base=standin.base_url, health_url=origin_url) as server:
        api = server.login()                       # the bootstrap admin
        status, body, headers = api.post("/api/proxies", {"kiotproxy_key": key})
"""
from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ADMIN_PASSWORD = "correct horse battery staple"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_port_range(count: int, host: str = "127.0.0.1") -> int:
    """The first of `count` consecutive ports that are free now, chosen below the kernel's
    ephemeral range (so outgoing connections of other tests never take them meanwhile)."""
    low, high = 20000, 32000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            high = min(high, int(f.read().split()[0]))
    except (OSError, ValueError):
        pass
    rng = random.Random()
    for _ in range(500):
        start = rng.randrange(low, high - count)
        ok = True
        for p in range(start, start + count):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind((host, p))
                except OSError:
                    ok = False
                    break
        if ok:
            return start
    raise RuntimeError("no free port range")


def binary() -> str:
    path = os.environ.get("STEADYPROXY_BIN")
    if not path:
        raise RuntimeError("STEADYPROXY_BIN is not set (run the test through ctest)")
    return path


class ApiClient:
    """JSON over HTTP with the session cookie and the CSRF token, like the web pages."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.bearer: str | None = None

    def request(self, method: str, path: str, body=None, *, raw: bytes | None = None, csrf: bool = True,
                headers: dict | None = None, timeout: float = 30):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        h = {"Accept": "application/json"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        try:
            try:
                conn.request(method, path, body=data, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered (e.g. 413) and closed before the whole body was sent
            resp = conn.getresponse()
            text = resp.read()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie" and value.split("=", 1)[0] in ("sp_session", "__Host-sp_session"):
                    cookie = value.split(";", 1)[0]
                    self.cookie = None if cookie.endswith("=") else cookie
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, username: str, password: str):
        status, body, headers = self.post("/api/auth/login", {"username": username, "password": password})
        if status == 200:
            self.csrf = body["csrf_token"]
        return status, body, headers


class SteadyproxyServer:
    """A real server process on loopback with its own data folder."""

    def __init__(self, *, api_base: str = "http://127.0.0.1:9/api/v1", health_url: str | None = None,
                 ports: int = 20, plugins: list[str] | None = None, extra_yaml: str = "", env: dict | None = None,
                 data_dir: str | None = None, health_interval: int = 30):
        self.tmp = tempfile.mkdtemp(prefix="steadyproxy-test-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.port_start = free_port_range(ports)
        self.port_end = self.port_start + ports - 1
        # the admin port outside the endpoint range (the server refuses an overlap)
        self.admin_port = free_port_range(1)
        while self.port_start <= self.admin_port <= self.port_end:
            self.admin_port = free_port_range(1)
        self.api_base = api_base
        self.health_url = health_url
        self.plugins = plugins or ["storage.sqlite", "auth.local", "provider.kiotproxy", "proxy.forward",
                                   "rotation.expiry", "rotation.interval", "rotation.failure", "health.http"]
        self.extra_yaml = extra_yaml
        self.env = dict(os.environ)
        self.env.update({"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": ADMIN_PASSWORD})
        for name in ("DOMAIN", "PROXY_PORT_START", "PROXY_PORT_END", "KIOTPROXY_API_BASE", "HEALTH_CHECK_INTERVAL"):
            self.env.pop(name, None)
        self.env.update(env or {})
        self.health_interval = health_interval
        self.config_path = os.path.join(self.tmp, "steadyproxy.yaml")
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []
        self._reader: threading.Thread | None = None
        self.write_config()

    def write_config(self):
        load = "\n".join(f"    - {p}" for p in self.plugins)
        sections = {
            "provider.kiotproxy": f"    api_base: {self.api_base}\n    timeout_ms: 3000\n",
            # the stand-in's upstream proxies listen on 127.0.0.x
            "proxy.forward": "    listen_host: 127.0.0.1\n    allow_internal_upstreams: true\n",
            "health.http": f"    url: {self.health_url}\n" if self.health_url else "    {}\n",
        }
        plugin_sections = "".join(f"  {p}:\n{text}" for p, text in sections.items() if p in self.plugins)
        text = f"""data_dir: {self.data_dir}
log:
  level: information
admin:
  host: 127.0.0.1
  port: {self.admin_port}
endpoints:
  domain: localhost
  proxy_host: 127.0.0.1
  port_start: {self.port_start}
  port_end: {self.port_end}
health:
  interval_seconds: {self.health_interval}
plugins:
  load:
{load}
{plugin_sections}{self.extra_yaml}"""
        with open(self.config_path, "w") as f:
            f.write(text)

    # --- process ------------------------------------------------------------------
    def start(self, timeout: float = 30) -> "SteadyproxyServer":
        self.output = []
        self.process = subprocess.Popen([binary(), "--config", self.config_path, "serve"], env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        ready = threading.Event()
        seen = []

        def read(proc=self.process):
            for line in proc.stdout:
                self.output.append(line.rstrip("\n"))
                if line.startswith("READY "):
                    seen.append(line)
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not ready.wait(timeout) or not seen:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "\n".join(self.output[-40:]))
        return self

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int | None:
        p = self.process
        if not p:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        if self._reader:
            self._reader.join(5)
        self.process = None
        return p.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def log_text(self) -> str:
        return "\n".join(self.output)

    # --- clients ------------------------------------------------------------------
    def client(self) -> ApiClient:
        return ApiClient("127.0.0.1", self.admin_port)

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> ApiClient:
        c = self.client()
        status, body, _ = c.login(username, password)
        if status != 200:
            raise AssertionError(f"login as {username} failed: {status} {body}")
        return c

    def cli(self, *args, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([binary(), "--config", self.config_path, *args], env=self.env, input=input,
                              capture_output=True, text=True, timeout=timeout)


def wait_for(predicate, timeout: float = 20, interval: float = 0.2, what: str = "condition"):
    """Polls `predicate` until it returns a truthy value (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def curl(*args, timeout: float = 30) -> subprocess.CompletedProcess:
    """Runs the real curl (no config files, no proxy from the environment)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run(["curl", "-q", "-sS", "--max-time", str(int(timeout)), *args], capture_output=True,
                          text=True, timeout=timeout + 5, env=env)
