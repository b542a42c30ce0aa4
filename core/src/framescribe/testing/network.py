"""Keeping a test on loopback: every connection or name lookup outside 127.0.0.0/8 and ::1 is refused and recorded."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ALLOWED_NAMES = {"localhost", "", None}


def is_local_host(host: Any) -> bool:
    """True for loopback addresses, ``localhost``, and the unspecified address servers bind to."""
    if host in _ALLOWED_NAMES:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _is_ip(host: Any) -> bool:
    try:
        ipaddress.ip_address(str(host))
    except ValueError:
        return False
    return True


@contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Refuse and record every attempt to reach a non-local host while the block runs.

    Yields the list of attempts (``"connect 1.2.3.4:443"``, ``"resolve example.com"``)
    so a test can assert it stayed empty even when the code under test swallowed
    the error.
    """
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not is_local_host(address[0]):
            attempts.append(f"connect {address[0]}:{address[1]}")
            raise ConnectionRefusedError(f"framescribe.testing: {address[0]} is not loopback; tests may only reach loopback")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        # An address literal needs no lookup; connect() refuses it. A name would go to DNS.
        if not is_local_host(host) and not _is_ip(host):
            attempts.append(f"resolve {host}")
            raise socket.gaierror(socket.EAI_NONAME, f"framescribe.testing: lookup of {host} refused (loopback only)")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield attempts
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
