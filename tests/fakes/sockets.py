"""Raw TCP stand-ins for broken dependencies: a refused port, a server that never speaks, and
one that answers a TLS handshake with plain text."""

from __future__ import annotations

import socket
import threading

PLAIN_HTTP_ANSWER = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def refused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Listener:
    """A TCP listener on 127.0.0.1 whose accepted connections `_serve` handles."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._accepted.append(conn)
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._accepted:
            conn.close()
        self._sock.close()


class SilentServer(_Listener):
    """Accepts connections and never sends a byte: a dependency that hangs."""

    def _serve(self, conn: socket.socket) -> None:
        pass


class PlainTextServer(_Listener):
    """Answers the first bytes of every connection with plain HTTP: a TLS client pointed here
    fails its handshake, whatever bytes its ClientHello happened to contain. (A FakeServer
    would wait for a newline that a ClientHello need not contain.)"""

    def _serve(self, conn: socket.socket) -> None:
        # Read the ClientHello first: closing with unread bytes would send a reset instead.
        conn.settimeout(2)
        try:
            conn.recv(4096)
            conn.sendall(PLAIN_HTTP_ANSWER)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class EndlessBodyServer(_Listener):
    """Answers one request with 200, no Content-Length, and a body that never ends: only a
    reader that stops at a byte limit comes back."""

    def _serve(self, conn: socket.socket) -> None:
        threading.Thread(target=self._stream, args=(conn,), daemon=True).start()

    def _stream(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            )
            chunk = b'{"padding": "' + b"x" * 65536
            while not self._stop.is_set():
                conn.sendall(chunk)
        except OSError:
            pass


class HeadDroppingServer(_Listener):
    """Closes the connection on any HEAD request without a word, answers GET with 200: a site
    behind a proxy that mishandles HEAD."""

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        try:
            request = conn.recv(65536)
            if not request.startswith(b"HEAD"):
                body = b"<html>AILEX</html>"
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
        except OSError:
            pass
        finally:
            conn.close()
