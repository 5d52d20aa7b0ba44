"""A small DNS responder on 127.0.0.1 (UDP and TCP, one random port) for the DNS check.

Names get A, AAAA and CNAME records; a name can instead answer NXDOMAIN, SERVFAIL or never
answer at all. CNAME chains are followed within the zone, as a recursive resolver would.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset


@dataclass
class _Records:
    a: list[str] = field(default_factory=list)
    aaaa: list[str] = field(default_factory=list)
    cname: str | None = None


def _key(name: str | dns.name.Name) -> str:
    return str(name).lower().rstrip(".") + "."


class SimDNS:
    """`with SimDNS() as dns: dns.add("ailex.app", a=["76.76.21.21"])`; `dns.address` is the
    `host:port` to give the check."""

    def __init__(self, ttl: int = 60) -> None:
        self.ttl = ttl
        self.records: dict[str, _Records] = {}
        self.nxdomain: set[str] = set()
        self.servfail: set[str] = set()
        self.hang: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", 0))
        self._udp.settimeout(0.05)
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._tcp.bind(("127.0.0.1", self.port))
            self._tcp.listen(8)
            self._tcp.settimeout(0.05)
        except OSError:  # the port is taken for TCP: serve UDP only
            self._tcp.close()
            self._tcp = None  # type: ignore[assignment]
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True)]
        if self._tcp is not None:
            self._threads.append(threading.Thread(target=self._serve_tcp, daemon=True))

    # -- set-up ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._udp.getsockname()[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add(
        self,
        name: str,
        *,
        a: list[str] | None = None,
        aaaa: list[str] | None = None,
        cname: str | None = None,
    ) -> None:
        """Give `name` these records (a CNAME excludes the others, as in real DNS)."""
        self.records[_key(name)] = _Records(list(a or []), list(aaaa or []), cname)

    def fail(self, name: str, mode: str) -> None:
        """Make `name` answer 'nxdomain', 'servfail' or 'hang' (never answer)."""
        {"nxdomain": self.nxdomain, "servfail": self.servfail, "hang": self.hang}[mode].add(
            _key(name)
        )

    def clear(self, name: str) -> None:
        """`name` answers its records again."""
        for failing in (self.nxdomain, self.servfail, self.hang):
            failing.discard(_key(name))

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> SimDNS:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._udp.close()
        if self._tcp is not None:
            self._tcp.close()

    # -- answering ------------------------------------------------------------------------
    def answer(self, wire: bytes) -> bytes | None:
        """The response to a query in wire format, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # a broken query gets no answer, as from many servers
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = _key(question.name)
        with self._lock:
            self.queries.append((name, dns.rdatatype.to_text(question.rdtype)))
        if name in self.hang:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        if name in self.nxdomain or name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        self._fill(response, name, question.rdtype)
        return response.to_wire()

    def _fill(self, response: dns.message.Message, name: str, rdtype: int) -> None:
        seen: set[str] = set()
        while name in self.records and name not in seen:
            seen.add(name)
            records = self.records[name]
            if records.cname:
                response.answer.append(
                    dns.rrset.from_text(name, self.ttl, "IN", "CNAME", _key(records.cname))
                )
                if rdtype == dns.rdatatype.CNAME:
                    return
                name = _key(records.cname)
                continue
            values = {int(dns.rdatatype.A): records.a, int(dns.rdatatype.AAAA): records.aaaa}.get(
                int(rdtype)
            )
            if values:
                kind = dns.rdatatype.to_text(dns.rdatatype.RdataType(rdtype))
                response.answer.append(dns.rrset.from_text(name, self.ttl, "IN", kind, *values))
            return

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._udp.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            reply = self.answer(wire)
            if reply is not None:
                with contextlib.suppress(OSError):
                    self._udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                try:
                    (length,) = struct.unpack("!H", _read(conn, 2))
                    reply = self.answer(_read(conn, length))
                    if reply is not None:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                except (OSError, struct.error):
                    pass


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
