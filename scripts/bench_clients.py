#!/usr/bin/env python3
"""Load clients for scripts/bench (Python 3 stdlib only, loopback only, bounded).

A module of scripts/bench_run.py: the probe request, the 10 MiB transfer and the tunnel
opening of the idle scenario. (The keep-alive tunnel load is scripts/bench_tunnel.c: a
Python client tops out near 15 000 req/s here, below the proxies it would measure.)
"""
import socket
import time


def connect_request(origin_port, auth):
    req = "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (origin_port, origin_port)
    if auth:
        req += "Proxy-Authorization: Basic %s\r\n" % auth
    return (req + "\r\n").encode()


def read_head(sock, timeout=10.0):
    """Reads up to the end of a response head; returns (status, head bytes, rest)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response head (%r)" % buf[:200])
        buf += chunk
        if len(buf) > 65536:
            raise ConnectionError("response head too long")
    head, _, rest = buf.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        raise ConnectionError("not an HTTP response: %r" % head[:200])
    return status, head, rest


def open_tunnel(proxy, origin_port, auth, timeout=10.0):
    """A connected socket through a CONNECT tunnel to 127.0.0.1:origin_port (or straight to
    the origin when proxy is None)."""
    if proxy is None:
        s = socket.create_connection(("127.0.0.1", origin_port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s
    s = socket.create_connection(proxy, timeout=timeout)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(connect_request(origin_port, auth))
        status, head, rest = read_head(s, timeout)
        if status != 200:
            raise ConnectionError("CONNECT answered %d: %r" % (status, head[:200]))
        if rest:
            raise ConnectionError("unexpected bytes after the CONNECT answer")
    except BaseException:
        s.close()
        raise
    return s


def get_once(proxy, origin_port, auth, path="/1k", timeout=10.0):
    """One absolute-form GET through an HTTP proxy (or direct): returns (status, body length)."""
    if proxy is None:
        s = socket.create_connection(("127.0.0.1", origin_port), timeout=timeout)
        target = path
    else:
        s = socket.create_connection(proxy, timeout=timeout)
        target = "http://127.0.0.1:%d%s" % (origin_port, path)
    with s:
        req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (target, origin_port)
        if auth and proxy is not None:
            req += "Proxy-Authorization: Basic %s\r\n" % auth
        s.sendall((req + "\r\n").encode())
        status, head, rest = read_head(s, timeout)
        body = rest
        while True:
            c = s.recv(65536)
            if not c:
                break
            body += c
        return status, len(body)


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return int(v.strip())
    raise ConnectionError("no Content-Length in %r" % head[:200])


def transfer(proxy, origin_port, auth, path="/10m"):
    """Downloads `path` once (through a fresh CONNECT tunnel, or direct when proxy is None).
    Returns (bytes, seconds from sending the GET to the last byte)."""
    s = open_tunnel(proxy, origin_port, auth)
    with s:
        s.settimeout(30)
        t0 = time.perf_counter()
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (path.encode(), origin_port))
        status, head, rest = read_head(s, 30)
        if status != 200:
            raise ConnectionError("GET %s answered %d" % (path, status))
        n = content_length(head)
        buf = bytearray(max(n, 1) + 65536)
        view = memoryview(buf)
        got = len(rest)
        view[:got] = rest
        while got < n:
            k = s.recv_into(view[got:], min(1 << 20, len(buf) - got))
            if k == 0:
                raise ConnectionError("closed after %d of %d bytes" % (got, n))
            got += k
        t1 = time.perf_counter()
        return n, t1 - t0
