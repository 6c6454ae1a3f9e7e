"""proxy.forward graceful stop (ForwardProxy::drain): listeners close at once, a request in
flight and an open tunnel finish, idle keep-alive connections close promptly, and drain()
returns when the last connection is gone; with a short bound, the remaining tunnel is cut
and counted."""
import socket
import threading
import time
import unittest

from fp_support import Harness, read_response, recv_until
from sp_testnet import Origin, TcpEcho, free_port


def connect(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def open_tunnel(port, echo):
    s = connect(port)
    s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (echo.port, echo.port))
    head = recv_until(s, b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    s.sendall(b"ping")
    assert recv_until(s, b"ping") == b"ping"
    return s


def is_closed(sock, timeout):
    """True when the peer closes (EOF or reset) within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def refused(port):
    """True when a new connection is turned away: refused, or reset because it reached the
    listener's backlog just as the listener closed."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True


class Drain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Origin().start()
        cls.echo = TcpEcho().start()

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()
        cls.echo.stop()

    def setUp(self):
        self.gw = free_port()
        self.h = Harness(threads=2, gateway_port=self.gw)
        self.port = free_port()
        self.h.endpoint(1, "proxy1", self.port, None, None, "direct")
        self.socks = []

    def tearDown(self):
        self.h.stop()
        for s in self.socks:
            s.close()

    def keep(self, s):
        self.socks.append(s)
        return s

    def get(self, sock, path):
        sock.sendall(b"GET http://127.0.0.1:%d%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                     % (self.origin.port, path.encode(), self.origin.port))

    def test_work_in_progress_finishes_and_new_connections_are_refused(self):
        tunnel = self.keep(open_tunnel(self.port, self.echo))
        idle = self.keep(connect(self.port))
        self.get(idle, "/ip")
        status, _, _, _ = read_response(idle)
        self.assertEqual(status, 200)
        slow = self.keep(connect(self.port))
        self.get(slow, "/slow?ms=1500&n=3000")
        head = recv_until(slow, b"\r\n\r\n")  # the answer has begun: the request is in flight
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertEqual(self.h.stats()[1]["active"], 3)

        t0 = time.time()
        self.h.send("drain 10000")
        # the listeners close at once: endpoint port and gateway port refuse new clients
        deadline = time.time() + 3
        while not refused(self.port) and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(refused(self.port), "endpoint port still accepts during a drain")
        self.assertTrue(refused(self.gw), "gateway port still accepts during a drain")
        # the idle keep-alive connection is closed promptly
        self.assertTrue(is_closed(idle, 2), "an idle keep-alive connection stayed open during a drain")
        # the request in flight completes, then its connection closes
        status, headers, body, _ = read_response(slow, head, timeout=10)
        self.assertEqual((status, len(body)), (200, 3000))
        self.assertTrue(is_closed(slow, 3), "the connection stayed open after its last response in a drain")
        # the tunnel still carries data; the drain has not returned while it is open
        tunnel.sendall(b"still here")
        self.assertEqual(recv_until(tunnel, b"still here"), b"still here")
        self.assertIsNone(self.h.reply(timeout=0.5), "drain returned while a tunnel was open")
        tunnel.shutdown(socket.SHUT_WR)  # the echo server answers <EOF> and closes its side
        self.assertEqual(recv_until(tunnel, b"<EOF>"), b"<EOF>")
        self.assertTrue(is_closed(tunnel, 5))
        reply = self.h.reply(timeout=5)
        elapsed = time.time() - t0
        self.assertEqual(reply, "drained 0")
        self.assertLess(elapsed, 8, "drain did not return once the last connection ended")

    def test_short_bound_cuts_the_tunnel_and_counts_it(self):
        tunnel = self.keep(open_tunnel(self.port, self.echo))
        t0 = time.time()
        reply = self.h.cmd("drain 700", timeout=10)
        elapsed = time.time() - t0
        self.assertEqual(reply, "drained 1")
        self.assertGreaterEqual(elapsed, 0.6)
        self.assertLess(elapsed, 3)
        self.assertTrue(is_closed(tunnel, 3), "the tunnel was not cut at the drain deadline")

    def test_drain_with_nothing_open_returns_at_once(self):
        t0 = time.time()
        self.assertEqual(self.h.cmd("drain 5000"), "drained 0")
        self.assertLess(time.time() - t0, 1)
        self.assertTrue(refused(self.port))


if __name__ == "__main__":
    unittest.main()
