"""``articles.webhook_targets``: public http(s) hosts are admitted, internal addresses refused unless allowed."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from articles import webhook_targets
from articles.webhook_targets import check_target, resolve_allowed


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> list[tuple[str, int]]:
    """Make every host resolve to ``addresses``; return the (host, port) pairs asked for."""
    asked: list[tuple[str, int]] = []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        asked.append((host, port))
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_public_https_host_is_admitted_and_its_addresses_returned(monkeypatch):
    asked = resolving_to(monkeypatch, "93.184.216.34", "2606:2800:220:1::1", "93.184.216.34")

    addresses = resolve_allowed("https://Hooks.Example.com/in?x=1")

    assert addresses == [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("2606:2800:220:1::1")]
    assert asked == [("hooks.example.com", 443)]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "::1",
        "10.1.2.3",  # private
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",  # link-local (cloud metadata)
        "fe80::1%eth0",
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",  # reserved
        "0.0.0.0",  # unspecified
        "::",
        "::ffff:127.0.0.1",  # loopback in an IPv4-mapped IPv6 address
        "100.64.0.1",  # shared address space (carrier-grade NAT)
    ],
)
def test_an_internal_address_is_refused(monkeypatch, address):
    resolving_to(monkeypatch, address)

    with pytest.raises(ValidationError) as refused:
        check_target("http://hooks.example.com/in")

    assert "internal address" in refused.value.message_dict["webhook_url"][0]


def test_one_internal_address_among_public_ones_is_enough_to_refuse(monkeypatch):
    resolving_to(monkeypatch, "93.184.216.34", "127.0.0.1")

    with pytest.raises(ValidationError):
        check_target("https://hooks.example.com/")


@pytest.mark.parametrize("allowed", ["hooks.internal", "hooks.internal:8080", "HOOKS.INTERNAL"])
def test_an_allowed_host_is_admitted_whatever_it_resolves_to(monkeypatch, settings, allowed):
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = [allowed]
    resolving_to(monkeypatch, "127.0.0.1")

    assert resolve_allowed("http://hooks.internal:8080/in") == [ipaddress.ip_address("127.0.0.1")]


def test_an_allowed_host_with_another_port_is_refused(monkeypatch, settings):
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal:8080"]
    resolving_to(monkeypatch, "127.0.0.1")

    with pytest.raises(ValidationError):
        check_target("http://hooks.internal:9090/in")


def test_an_allowed_ipv6_literal_is_written_in_brackets(monkeypatch, settings):
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = ["[::1]:8000"]
    resolving_to(monkeypatch, "::1")

    assert resolve_allowed("http://[::1]:8000/hook") == [ipaddress.ip_address("::1")]


def test_loopback_is_refused_by_default(monkeypatch, settings):
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = []
    resolving_to(monkeypatch, "127.0.0.1")

    with pytest.raises(ValidationError):
        check_target("http://localhost:8000/hook")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/in", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("hooks.example.com/in", "http or https"),
        ("https:///in", "no host"),
        ("https://hooks.example.com:99999/in", "port"),
    ],
)
def test_a_url_that_is_not_http_to_a_host_is_refused(monkeypatch, url, message):
    resolving_to(monkeypatch, "93.184.216.34")

    with pytest.raises(ValidationError) as refused:
        check_target(url)

    assert message in refused.value.message_dict["webhook_url"][0]


def test_a_host_that_does_not_resolve_is_refused(monkeypatch):
    def getaddrinfo(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(ValidationError) as refused:
        check_target("https://nowhere.invalid/")

    assert "does not resolve" in refused.value.message_dict["webhook_url"][0]
