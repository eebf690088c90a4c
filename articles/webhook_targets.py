"""Which webhook addresses the archive POSTs to: public http(s) hosts, or the hosts an operator allows.

A webhook makes the server send requests where a user says: without a check it
could be pointed at the server's own network (a database, a metadata service).
A target is refused when its host resolves to a loopback, private, link-local,
multicast, reserved or unspecified address, unless the host (or host:port) is in
``ARCHIVE_WEBHOOK_ALLOWED_HOSTS``. The sender checks again at delivery time and
connects to the addresses it was given (a host's DNS can change between the two).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from articles import conf

SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refused(message: str) -> ValidationError:
    """Return the error for a refused target, under the field that holds it."""
    return ValidationError({"webhook_url": message})


def host_and_port(url: str) -> tuple[str, int]:
    """Return the URL's host (lower case, IPv6 without brackets) and port; raise ValidationError if it has none."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise refused("A webhook must be an http or https URL.")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    except ValueError as exc:
        raise refused("The webhook URL's port is not a number between 0 and 65535.") from exc
    if not parts.hostname:
        raise refused("The webhook URL has no host.")
    return parts.hostname.lower(), port


def is_allowed_host(host: str, port: int) -> bool:
    """Tell whether the operator admits this host (or host:port) whatever it resolves to."""
    shown = f"[{host}]" if ":" in host else host
    return bool({host, shown, f"{shown}:{port}"} & set(conf.webhook_allowed_hosts()))


def is_internal(address: IPAddress) -> bool:
    """Tell whether an address is one a webhook must not reach (loopback, private, link-local, multicast...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # ``is_global`` is false for loopback, private, link-local, reserved, unspecified and shared (CGNAT) ranges;
    # multicast is checked apart, as some multicast ranges count as global.
    return address.is_multicast or not address.is_global


def resolve(host: str, port: int) -> list[IPAddress]:
    """Return the addresses the host resolves to, in resolver order without repeats; raise ValidationError if none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise refused(f"The webhook's host {host!r} does not resolve.") from exc
    # An IPv6 link-local address comes with its zone ("fe80::1%eth0"); the zone is no part of the address.
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise refused(f"The webhook's host {host!r} does not resolve.")
    return list(dict.fromkeys(addresses))


def resolve_allowed(url: str) -> list[IPAddress]:
    """Return the addresses a delivery to ``url`` may connect to; raise ValidationError for a refused target."""
    host, port = host_and_port(url)
    addresses = resolve(host, port)
    if is_allowed_host(host, port):
        return addresses
    internal = [address for address in addresses if is_internal(address)]
    if internal:
        raise refused(
            f"The webhook's host {host!r} resolves to an internal address ({internal[0]}); "
            "an operator can allow it with ARCHIVE_WEBHOOK_ALLOWED_HOSTS."
        )
    return addresses


def check_target(url: str) -> None:
    """Raise ValidationError unless ``url`` is a webhook target the archive may POST to."""
    resolve_allowed(url)
