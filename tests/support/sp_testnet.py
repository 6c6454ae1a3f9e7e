"""A small real network on loopback for integration tests (Python 3.11 stdlib only).

Every server runs on one shared asyncio loop in a background daemon thread. Each has
``.start()`` (binds, sets ``.port``; port=0 picks a free one; returns self) and ``.stop()``
(closes the listener AND every open connection, as if the host died). They are also
context managers.

- ``Origin``      HTTP/1.1 origin with keep-alive:
                  GET /ip                     -> {"ip": "<peer address of the TCP connection>"}
                  GET /bytes?n=N&seed=S       -> N deterministic bytes (see expected_bytes), Content-Length
                  GET /chunked?n=N&seed=S     -> the same bytes, Transfer-Encoding: chunked
                  GET /close?n=N&seed=S       -> the same bytes, close-delimited (no length)
                  POST /echo                  -> the request body
                  GET /headers                -> JSON object: lower-case header name -> value
                                                 (repeated headers joined with ", ")
                  GET /slow?ms=M&n=N          -> N bytes ("x") streamed over about M ms
                  GET /status?code=C          -> status C, empty body (no body at all for 1xx/204/304)
                  HEAD on any of them         -> the GET headers without a body
- ``TcpEcho``     raw TCP echo; on the client's EOF it sends b"<EOF>" and shuts its write side.
- ``HttpProxy``   HTTP forward proxy (absolute-form and CONNECT) whose outgoing connections
                  are bound to ``bind_ip`` (so Origin's /ip shows bind_ip). Basic auth when
                  ``username`` is set (407 otherwise). ``.connections``, ``.requests``.
- ``Socks5Proxy`` SOCKS5 (RFC 1928 CONNECT with IPv4/IPv6/domain; RFC 1929 auth when
                  ``username`` is set); outgoing bound to ``bind_ip``. ``.connections``,
                  ``.targets`` (list of (atyp, host, port) exactly as the client sent them).
- ``Silent``      accepts connections and never answers (for timeout tests).

Every server counts accepted connections in ``.connections`` and remembers the peer
addresses in ``.peers``.

CLI: ``python3 sp_testnet.py origin|echo|http|socks5|silent --bind IP [--port N]
[--user U --password P]`` prints ``READY <port>`` and serves until killed.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import socket
import sys
import threading
import time
import urllib.parse

__all__ = [
    "Origin", "TcpEcho", "HttpProxy", "Socks5Proxy", "Silent",
    "expected_bytes", "expected_sha256", "free_port",
]

# ----------------------------------------------------------------------------------------
# helpers

_BLOCK = 32


def _block(seed, i):
    return hashlib.sha256(b"%s:%d" % (str(seed).encode(), i)).digest()


def _byte_stream(n, seed, chunk=65536):
    """Yields the deterministic bytes of /bytes?n=N&seed=S in chunks of `chunk` bytes."""
    i = 0
    left = n
    carry = b""
    while left > 0:
        want = min(chunk, left)
        need = want - len(carry)
        blocks = max(0, (need + _BLOCK - 1) // _BLOCK)
        buf = carry + b"".join(_block(seed, i + k) for k in range(blocks))
        i += blocks
        carry = buf[want:]
        left -= want
        yield buf[:want]


def expected_bytes(n, seed=0):
    """The exact body of GET /bytes?n=N&seed=S (also /chunked and /close)."""
    return b"".join(_byte_stream(n, seed))


def expected_sha256(n, seed=0):
    """Hex SHA-256 of expected_bytes(n, seed), without keeping the bytes."""
    h = hashlib.sha256()
    for c in _byte_stream(n, seed):
        h.update(c)
    return h.hexdigest()


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (prefer port=0 on servers when possible)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_loop = None
_loop_lock = threading.Lock()


def _get_loop():
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            t = threading.Thread(target=loop.run_forever, name="sp_testnet", daemon=True)
            t.start()
            _loop = loop
        return _loop


def _run(coro, timeout=15):
    return asyncio.run_coroutine_threadsafe(coro, _get_loop()).result(timeout)


async def _read_head(reader, limit=1 << 20):
    """Reads up to and including the blank line. None on a clean EOF before any byte."""
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise
    if len(data) > limit:
        raise ValueError("head too large")
    return data


def _parse_head(data):
    lines = data[:-4].decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return first, headers


def _hget(headers, name, default=None):
    name = name.lower()
    vals = [v for k, v in headers if k.lower() == name]
    if not vals:
        return default
    return ", ".join(vals)


def _wants_close(version, headers):
    conn = (_hget(headers, "connection", "") or "").lower()
    tokens = [t.strip() for t in conn.split(",")]
    if version == "HTTP/1.0":
        return "keep-alive" not in tokens
    return "close" in tokens


async def _read_body(reader, headers):
    """Reads a request body (Content-Length or chunked); returns the decoded bytes."""
    te = (_hget(headers, "transfer-encoding", "") or "").lower()
    if "chunked" in te:
        body = bytearray()
        while True:
            line = await reader.readuntil(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers
                    t = await reader.readuntil(b"\r\n")
                    if t == b"\r\n":
                        break
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return bytes(body)
    cl = _hget(headers, "content-length")
    if cl:
        return await reader.readexactly(int(cl))
    return b""


async def _relay_chunked(reader, writer):
    """Copies one chunked body verbatim (with trailers)."""
    while True:
        line = await reader.readuntil(b"\r\n")
        writer.write(line)
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:
                t = await reader.readuntil(b"\r\n")
                writer.write(t)
                if t == b"\r\n":
                    break
            await writer.drain()
            return
        left = size + 2
        while left > 0:
            d = await reader.read(min(left, 65536))
            if not d:
                raise asyncio.IncompleteReadError(b"", left)
            writer.write(d)
            left -= len(d)
            await writer.drain()


async def _relay_exact(reader, writer, n):
    while n > 0:
        d = await reader.read(min(n, 65536))
        if not d:
            raise asyncio.IncompleteReadError(b"", n)
        writer.write(d)
        n -= len(d)
        await writer.drain()


async def _pipe(reader, writer, others):
    try:
        while True:
            d = await reader.read(65536)
            if not d:
                break
            writer.write(d)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError, asyncio.CancelledError):
        for w in others:
            w.transport.abort()


async def _relay(r1, w1, r2, w2):
    """Copies both ways with half-close propagation until both directions ended."""
    both = (w1, w2)
    await asyncio.gather(_pipe(r1, w2, both), _pipe(r2, w1, both), return_exceptions=True)


def _check_basic(headers, header_name, username, password):
    value = _hget(headers, header_name)
    if not value:
        return False
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except Exception:
        return False
    user, sep, pw = raw.partition(":")
    return sep == ":" and user == username and pw == password


def _split_host_port(target, default_port=None):
    if target.startswith("["):
        end = target.index("]")
        host = target[1:end]
        rest = target[end + 1:]
        port = int(rest[1:]) if rest.startswith(":") else default_port
    else:
        host, sep, p = target.rpartition(":")
        if not sep:
            host, port = target, default_port
        else:
            port = int(p)
    return host, port


async def _open(host, port, bind_ip, timeout=10):
    local = (bind_ip, 0) if bind_ip else None
    return await asyncio.wait_for(
        asyncio.open_connection(host, port, local_addr=local, limit=1 << 20), timeout)


# ----------------------------------------------------------------------------------------
# servers

class _Server:
    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.port = port
        self.connections = 0
        self.peers = []
        self._server = None
        self._writers = set()
        self._tasks = set()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        _run(self._start())
        return self

    def stop(self):
        if self._server is None:
            return
        try:
            _run(self._stop())
        except Exception:
            pass

    @property
    def address(self):
        return "[%s]:%d" % (self.host, self.port) if ":" in self.host else "%s:%d" % (self.host, self.port)

    async def _start(self):
        self._server = await asyncio.start_server(
            self._client, self.host, self.port, limit=1 << 20, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self):
        srv, self._server = self._server, None
        srv.close()
        for w in list(self._writers):
            w.transport.abort()
        for t in list(self._tasks):
            t.cancel()
        for _ in range(3):
            await asyncio.sleep(0)
        for w in list(self._writers):
            w.transport.abort()

    def _track(self, writer):
        self._writers.add(writer)

    async def _client(self, reader, writer):
        if self._server is None:  # stopped while this connection was being accepted
            writer.transport.abort()
            return
        task = asyncio.current_task()
        self._tasks.add(task)
        self.connections += 1
        peer = writer.get_extra_info("peername")
        self.peers.append(peer[0] if peer else "?")
        self._track(writer)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, asyncio.CancelledError, asyncio.TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.close()

    async def handle(self, reader, writer):
        raise NotImplementedError


class Silent(_Server):
    """Accepts connections and never answers until the peer closes."""

    async def handle(self, reader, writer):
        while await reader.read(65536):
            pass


class TcpEcho(_Server):
    """Echoes every byte; on EOF from the client sends b"<EOF>" and shuts its write side."""

    async def handle(self, reader, writer):
        while True:
            d = await reader.read(65536)
            if not d:
                break
            writer.write(d)
            await writer.drain()
        writer.write(b"<EOF>")
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        # keep the socket open a little so the peer reads everything before the close
        try:
            await asyncio.wait_for(reader.read(1), 5)
        except asyncio.TimeoutError:
            pass


class Origin(_Server):
    """An HTTP/1.1 origin server with keep-alive (see the module doc for the routes)."""

    def __init__(self, host="127.0.0.1", port=0):
        super().__init__(host, port)
        self.requests = []  # (method, target, headers list)

    async def handle(self, reader, writer):
        peer = writer.get_extra_info("peername")[0]
        while True:
            head = await _read_head(reader)
            if head is None:
                return
            first, headers = _parse_head(head)
            method, target, version = first.split(" ", 2)
            body = await _read_body(reader, headers)
            self.requests.append((method, target, headers))
            close = _wants_close(version, headers)
            keep = await self._respond(writer, method, target, headers, body, peer, close)
            await writer.drain()
            if close or not keep:
                return

    async def _respond(self, writer, method, target, headers, body, peer, close):
        url = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        head_only = method == "HEAD"
        conn = b"Connection: close\r\n" if close else b""

        def simple(status, payload, ctype="application/json"):
            writer.write(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n"
                         % (status.encode(), ctype.encode(), len(payload), conn))
            if not head_only:
                writer.write(payload)
            return True

        if path == "/ip":
            return simple("200 OK", json.dumps({"ip": peer}).encode())
        if path == "/headers":
            d = {}
            for k, v in headers:
                k = k.lower()
                d[k] = d[k] + ", " + v if k in d else v
            return simple("200 OK", json.dumps(d).encode())
        if path == "/echo":
            return simple("200 OK", body, "application/octet-stream")
        if path == "/status":
            code = int(q.get("code", "200"))
            if code in (204, 304) or 100 <= code < 200:
                writer.write(b"HTTP/1.1 %d Status\r\n%s\r\n" % (code, conn))
                return True
            return simple("%d Status" % code, b"", "text/plain")
        if path in ("/bytes", "/chunked", "/close"):
            n = int(q.get("n", "0"))
            seed = q.get("seed", "0")
            ctype = b"Content-Type: application/octet-stream\r\n"
            if path == "/bytes":
                writer.write(b"HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n%s\r\n" % (ctype, n, conn))
                if not head_only:
                    for c in _byte_stream(n, seed):
                        writer.write(c)
                        await writer.drain()
                return True
            if path == "/chunked":
                writer.write(b"HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\n%s\r\n" % (ctype, conn))
                if not head_only:
                    for c in _byte_stream(n, seed, chunk=10000):
                        writer.write(b"%x\r\n%s\r\n" % (len(c), c))
                        await writer.drain()
                    writer.write(b"0\r\n\r\n")
                return True
            writer.write(b"HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n" % ctype)
            if not head_only:
                for c in _byte_stream(n, seed):
                    writer.write(c)
                    await writer.drain()
            return False
        if path == "/slow":
            ms = int(q.get("ms", "1000"))
            n = int(q.get("n", "10"))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\n%s\r\n" % (n, conn))
            await writer.drain()
            if head_only:
                return True
            steps = max(1, min(n, 50))
            sent = 0
            for i in range(steps):
                part = (n * (i + 1)) // steps - sent
                await asyncio.sleep(ms / 1000.0 / steps)
                writer.write(b"x" * part)
                await writer.drain()
                sent += part
            return True
        return simple("404 Not Found", b"not found\n", "text/plain")


class HttpProxy(_Server):
    """An HTTP forward proxy whose outgoing connections leave from ``bind_ip``."""

    def __init__(self, bind_ip="127.0.0.1", port=0, username=None, password=None):
        super().__init__(bind_ip, port)
        self.bind_ip = bind_ip
        self.username = username
        self.password = password if password is not None else ""
        self.requests = []  # dicts: method, target, headers

    async def handle(self, reader, writer):
        while True:
            head = await _read_head(reader)
            if head is None:
                return
            first, headers = _parse_head(head)
            method, target, version = first.split(" ", 2)
            self.requests.append({"method": method, "target": target, "headers": headers})
            close = _wants_close(version, headers) or _hget(headers, "proxy-connection", "").lower() == "close"
            if method != "CONNECT":
                body = await _read_body(reader, headers)
            if self.username is not None and not _check_basic(
                    headers, "proxy-authorization", self.username, self.password):
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"sp_testnet\"\r\n"
                             b"Content-Length: 0\r\n\r\n")
                await writer.drain()
                if method == "CONNECT" or close:
                    return
                continue
            if method == "CONNECT":
                host, port = _split_host_port(target)
                try:
                    ur, uw = await _open(host, port, self.bind_ip)
                except (OSError, asyncio.TimeoutError) as e:
                    msg = ("connect %s failed: %s\n" % (target, e)).encode()
                    writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
                    await writer.drain()
                    return
                self._track(uw)
                try:
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await writer.drain()
                    await _relay(reader, writer, ur, uw)
                finally:
                    self._writers.discard(uw)
                    uw.transport.close()
                return
            if not await self._forward(writer, method, target, headers, body, close):
                return
            if close:
                return

    async def _forward(self, writer, method, target, headers, body, close):
        url = urllib.parse.urlsplit(target)
        if url.scheme != "http" or not url.hostname:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return False
        port = url.port or 80
        try:
            ur, uw = await _open(url.hostname, port, self.bind_ip)
        except (OSError, asyncio.TimeoutError) as e:
            msg = ("connect %s failed: %s\n" % (url.netloc, e)).encode()
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
            await writer.drain()
            return True
        self._track(uw)
        try:
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            # Only what this proxy must change; everything else reaches the origin so that
            # tests can see (via Origin /headers) what the proxy in front of it leaked.
            hop = {"proxy-connection", "connection", "transfer-encoding", "content-length"}
            if self.username is not None:
                hop.add("proxy-authorization")
            out = ["%s %s HTTP/1.1" % (method, path)]
            out += ["%s: %s" % (k, v) for k, v in headers if k.lower() not in hop]
            if body or method in ("POST", "PUT", "PATCH"):
                out.append("Content-Length: %d" % len(body))
            out.append("Connection: close")
            uw.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
            await uw.drain()
            rhead = await _read_head(ur)
            if rhead is None:
                raise ConnectionError("origin closed without answer")
            rfirst, rheaders = _parse_head(rhead)
            status = int(rfirst.split(" ")[1])
            te = (_hget(rheaders, "transfer-encoding", "") or "").lower()
            cl = _hget(rheaders, "content-length")
            no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
            delimited_by_close = not no_body and "chunked" not in te and cl is None
            keep = ["connection", "keep-alive", "proxy-connection"]
            lines = [rfirst] + ["%s: %s" % (k, v) for k, v in rheaders if k.lower() not in keep]
            if delimited_by_close or close:
                lines.append("Connection: close")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            if no_body:
                pass
            elif "chunked" in te:
                await _relay_chunked(ur, writer)
            elif cl is not None:
                await _relay_exact(ur, writer, int(cl))
            else:
                while True:
                    d = await ur.read(65536)
                    if not d:
                        break
                    writer.write(d)
                    await writer.drain()
            await writer.drain()
            return not delimited_by_close
        finally:
            self._writers.discard(uw)
            uw.transport.close()


class Socks5Proxy(_Server):
    """A SOCKS5 proxy (CONNECT only) whose outgoing connections leave from ``bind_ip``."""

    def __init__(self, bind_ip="127.0.0.1", port=0, username=None, password=None):
        super().__init__(bind_ip, port)
        self.bind_ip = bind_ip
        self.username = username
        self.password = password if password is not None else ""
        self.targets = []  # (atyp, host, port) as received

    async def handle(self, reader, writer):
        ver, n = await reader.readexactly(2)
        methods = await reader.readexactly(n)
        if ver != 5:
            return
        want = 2 if self.username is not None else 0
        if want not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            return
        writer.write(bytes([5, want]))
        await writer.drain()
        if want == 2:
            v, ulen = await reader.readexactly(2)
            user = await reader.readexactly(ulen)
            (plen,) = await reader.readexactly(1)
            pw = await reader.readexactly(plen)
            ok = v == 1 and user == self.username.encode() and pw == self.password.encode()
            writer.write(bytes([1, 0 if ok else 1]))
            await writer.drain()
            if not ok:
                return
        ver, cmd, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        elif atyp == 3:
            (ln,) = await reader.readexactly(1)
            host = (await reader.readexactly(ln)).decode("latin-1")
        else:
            writer.write(b"\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00")
            await writer.drain()
            return
        port = int.from_bytes(await reader.readexactly(2), "big")
        self.targets.append((atyp, host, port))
        if cmd != 1:
            writer.write(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
            await writer.drain()
            return
        try:
            ur, uw = await _open(host, port, self.bind_ip)
        except ConnectionRefusedError:
            rep = 5
        except asyncio.TimeoutError:
            rep = 4
        except OSError:
            rep = 1
        else:
            rep = 0
        if rep:
            writer.write(bytes([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]))
            await writer.drain()
            return
        self._track(uw)
        try:
            sock = uw.get_extra_info("sockname")
            try:
                addr = socket.inet_pton(socket.AF_INET, sock[0])
                reply = bytes([5, 0, 0, 1]) + addr
            except OSError:
                reply = bytes([5, 0, 0, 4]) + socket.inet_pton(socket.AF_INET6, sock[0])
            writer.write(reply + sock[1].to_bytes(2, "big"))
            await writer.drain()
            await _relay(reader, writer, ur, uw)
        finally:
            self._writers.discard(uw)
            uw.transport.close()


# ----------------------------------------------------------------------------------------
# CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description="steadyproxy loopback test servers")
    ap.add_argument("kind", choices=["origin", "echo", "http", "socks5", "silent"])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    ap.add_argument("--password")
    a = ap.parse_args(argv)
    if a.kind == "origin":
        srv = Origin(a.bind, a.port)
    elif a.kind == "echo":
        srv = TcpEcho(a.bind, a.port)
    elif a.kind == "silent":
        srv = Silent(a.bind, a.port)
    elif a.kind == "http":
        srv = HttpProxy(a.bind, a.port, a.user, a.password)
    else:
        srv = Socks5Proxy(a.bind, a.port, a.user, a.password)
    srv.start()
    print("READY %d" % srv.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
