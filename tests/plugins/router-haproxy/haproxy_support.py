"""Test support for router.haproxy: a throw-away CA and wildcard certificate made with the
openssl command line, and Debian's haproxy run in master-worker mode on loopback.

    pki = make_pki(tmpdir, "proxy.test")     # pki.ca, pki.pem (chain + key for *.proxy.test)
    h = Haproxy(config_path, tmpdir).start() # haproxy -W -f config -p pid -S master.sock
    h.master_pid(), h.show_proc(), h.stop()
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if not (shutil.which(t) or (t == "haproxy" and os.path.exists(HAPROXY)))]
    if missing:
        raise AssertionError("missing " + ", ".join(missing) +
                             ": install Debian's packages (apt-get install haproxy openssl curl)")


@dataclass
class Pki:
    ca: str      # CA certificate (PEM), for --proxy-cacert
    pem: str     # leaf certificate + key, as HAProxy's crt wants
    domain: str


def _openssl(*args: str, cwd: str) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("openssl " + " ".join(args) + " failed: " + r.stderr)


def make_pki(directory: str, domain: str) -> Pki:
    """A CA and a certificate for *.<domain> and <domain>, signed by it (EC P-256, 2 days)."""
    os.makedirs(directory, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=steadyproxy test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=directory)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key",
             "-out", "leaf.csr", "-subj", f"/CN=*.{domain}", cwd=directory)
    with open(os.path.join(directory, "leaf.ext"), "w") as f:
        f.write(f"subjectAltName=DNS:*.{domain},DNS:{domain}\n"
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "leaf.crt", "-days", "2", "-extfile", "leaf.ext", cwd=directory)
    pem = os.path.join(directory, "wildcard.pem")
    with open(pem, "w") as out:
        for part in ("leaf.crt", "leaf.key"):
            with open(os.path.join(directory, part)) as f:
                out.write(f.read())
    return Pki(ca=os.path.join(directory, "ca.crt"), pem=pem, domain=domain)


def check_config(*files: str) -> subprocess.CompletedProcess:
    """`haproxy -c` on the files, in the order given."""
    args = [HAPROXY, "-c"]
    for f in files:
        args += ["-f", f]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


class Haproxy:
    """haproxy -W (master-worker) with a pid file and a master CLI socket, its output in a file."""

    def __init__(self, config: str, workdir: str):
        self.config = config
        self.workdir = workdir
        self.pid_file = os.path.join(workdir, "haproxy.pid")
        self.master_socket = os.path.join(workdir, "master.sock")
        self.log_path = os.path.join(workdir, "haproxy.log")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> "Haproxy":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([HAPROXY, "-W", "-f", self.config, "-p", self.pid_file,
                                         "-S", self.master_socket], stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("haproxy exited at start with status %s:\n%s" % (self.process.returncode, self.log()))
            try:
                if " worker " in self.show_proc():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError("haproxy did not start within %s s:\n%s" % (timeout, self.log()))

    def master_pid(self) -> int:
        with open(self.pid_file) as f:
            return int(f.read().strip())

    def command(self, command: str, timeout: float = 5) -> str:
        """One command on the master CLI."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.master_socket)
            s.sendall(command.encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode(errors="replace")

    def show_proc(self) -> str:
        return self.command("show proc")

    def reloads(self) -> int:
        """The master's reload counter; -1 while the master CLI does not answer, or answers
        without its own line (both happen mid-reload, while the master re-executes)."""
        try:
            text = self.show_proc()
        except OSError:
            return -1
        for line in text.splitlines():
            words = line.split()
            if len(words) > 2 and words[1] == "master":
                return int(words[2])
        return -1

    def settled_reloads(self, timeout: float = 10) -> int:
        """The reload counter once the master answers with it (waits out a reload in progress)."""
        end = time.monotonic() + timeout
        while True:
            n = self.reloads()
            if n >= 0 or time.monotonic() > end:
                return n
            time.sleep(0.05)

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self) -> None:
        """Stops the master this object started (by its pid); the workers follow it."""
        p = self.process
        if not p:
            return
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        self.process = None
