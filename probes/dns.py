"""Does the domain resolve, and to Vercel? A, AAAA and CNAME as `dig` would show (상황 1 C)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from probes.base import CheckStatus, Finding, guarded, msg
from probes.text import round_ms, scrub, short_number

# Where Vercel points a domain. Its docs name the apex A record 76.76.21.21 (anycast) and a
# CNAME to cname.vercel-dns.com, lately per-project names like cname.vercel-dns-0.com or
# 3a8b...vercel-dns-017.com; projects added since 2025 are shown A records in 216.198.79.0/24
# (216.198.79.1). cname.vercel-dns.com itself answers from 76.76.21.0/24 and 66.33.60.0/24.
# Outside these we say "not Vercel" as a warning: the domain may sit behind a proxy.
VERCEL_NETWORKS = tuple(
    ipaddress.ip_network(net) for net in ("76.76.21.0/24", "66.33.60.0/24", "216.198.79.0/24")
)
_VERCEL_CNAME = re.compile(r"(^|\.)(vercel-dns(-\d+)?\.com|vercel\.app)$")
_RECORD_TYPES = ("A", "AAAA", "CNAME")


@dataclass
class _Lookup:
    """One record type's outcome."""

    records: list[str] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)
    error: str | None = None  # nxdomain, servfail, timeout, error
    detail: str = ""
    elapsed_ms: int = 0


@guarded
async def check_dns(
    *, domain: str, timeout: float, nameservers: list[str] | None = None
) -> Finding:
    """Resolve A, AAAA and CNAME: NXDOMAIN, SERVFAIL, timeout or nothing fail; not Vercel warns."""
    try:
        resolver = await _resolver(nameservers or [], timeout)
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        return Finding(
            status=CheckStatus.ERROR,
            summary=msg("check.dns.resolver", domain=domain),
            data={"domain": domain, "detail": scrub(str(exc) or type(exc).__name__)},
        )
    try:
        qname = dns.name.from_text(domain)
    except dns.exception.DNSException:
        return Finding(
            status=CheckStatus.ERROR,
            summary=msg("check.dns.bad_name", domain=domain),
            data={"domain": domain},
        )
    lookups = await asyncio.gather(*(_lookup(resolver, qname, t, timeout) for t in _RECORD_TYPES))
    by_type = dict(zip(_RECORD_TYPES, lookups, strict=True))
    return _judge(domain, by_type, nameservers or [], timeout)


def _judge(
    domain: str, by_type: dict[str, _Lookup], nameservers: list[str], timeout: float
) -> Finding:
    a, aaaa = by_type["A"].records, by_type["AAAA"].records
    cnames = list(dict.fromkeys(c for lookup in by_type.values() for c in lookup.cnames))
    match = vercel_match(cnames, a)
    elapsed = max(lookup.elapsed_ms for lookup in by_type.values())
    data = {
        "domain": domain,
        "nameservers": nameservers or ["system"],
        "a": a,
        "aaaa": aaaa,
        "cname": cnames,
        "elapsed_ms": elapsed,
        "query_ms": {t: lookup.elapsed_ms for t, lookup in by_type.items()},
        "errors": {t: lookup.error for t, lookup in by_type.items() if lookup.error},
        "points_to_vercel": match is not None,
        "vercel_match": match,
    }
    if not (a or aaaa or cnames):
        errors = {lookup.error for lookup in by_type.values()}
        # The most telling failure wins: the name is gone, its servers fail, or nobody answers.
        for error, key in (
            ("nxdomain", "check.dns.nxdomain"),
            ("servfail", "check.dns.servfail"),
            ("timeout", "check.dns.timeout"),
            ("error", "check.dns.error"),
        ):
            if error in errors:
                params: dict[str, Any] = (
                    {"seconds": short_number(timeout)} if error == "timeout" else {}
                )
                details = [lookup.detail for lookup in by_type.values() if lookup.detail]
                status = CheckStatus.ERROR if error == "error" else CheckStatus.FAIL
                return Finding(
                    status=status,
                    summary=msg(key, domain=domain, **params),
                    data={**data, "detail": details[0] if details else ""},
                )
        return Finding(
            status=CheckStatus.FAIL, summary=msg("check.dns.no_answer", domain=domain), data=data
        )
    target = cnames[0] if cnames else ", ".join((a or aaaa)[:3])
    params = {"domain": domain, "target": target, "ms": elapsed}
    if match is None:
        return Finding(
            status=CheckStatus.WARN, summary=msg("check.dns.not_vercel", **params), data=data
        )
    return Finding(status=CheckStatus.OK, summary=msg("check.dns.vercel", **params), data=data)


def vercel_match(cnames: list[str], addresses: list[str]) -> str | None:
    """Which record shows the name points at Vercel ('cname:...'/'a:...'), or None."""
    for cname in cnames:
        if _VERCEL_CNAME.search(cname.lower().rstrip(".")):
            return f"cname:{cname}"
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if any(ip in network for network in VERCEL_NETWORKS):
            return f"a:{address}"
    return None


async def _lookup(
    resolver: dns.asyncresolver.Resolver, qname: dns.name.Name, rdtype: str, timeout: float
) -> _Lookup:
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = _Lookup()
    try:
        async with asyncio.timeout(timeout):
            answer = await resolver.resolve(
                qname, rdtype, raise_on_no_answer=False, search=False, lifetime=timeout
            )
    except dns.resolver.NXDOMAIN:
        outcome.error = "nxdomain"
    except dns.resolver.NoNameservers as exc:
        # What dnspython raises when every server answered SERVFAIL (or refused).
        outcome.error, outcome.detail = "servfail", scrub(str(exc))
    except (dns.exception.Timeout, TimeoutError):
        outcome.error = "timeout"
    except dns.exception.DNSException as exc:
        outcome.error, outcome.detail = "error", scrub(str(exc) or type(exc).__name__)
    else:
        for rrset in answer.response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME:
                outcome.cnames.extend(rdata.target.to_text() for rdata in rrset)
            elif rrset.rdtype == dns.rdatatype.from_text(rdtype) and rdtype != "CNAME":
                outcome.records.extend(rdata.to_text() for rdata in rrset)
    outcome.elapsed_ms = round_ms(loop.time() - started)
    return outcome


async def _resolver(nameservers: list[str], timeout: float) -> dns.asyncresolver.Resolver:
    """A resolver on the given `host[:port]` servers, or the system's when none are given."""
    if not nameservers:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        servers: list[dns.nameserver.Nameserver | str] = []
        for entry in nameservers:
            host, port = split_host_port(entry)
            for address in await _addresses(host):
                servers.append(dns.nameserver.Do53Nameserver(address, port))
        resolver.nameservers = servers
    # One attempt may use the whole budget; the lifetime bounds them all.
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def split_host_port(entry: str) -> tuple[str, int]:
    """'1.2.3.4', '1.2.3.4:5353', '[::1]:53', '::1' or 'ns.example:53' as (host, port)."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port)
    return entry, 53


async def _addresses(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, 53, type=socket.SOCK_DGRAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))
    return [host]
