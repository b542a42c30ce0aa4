"""Test settings shared by every test in the repository (core and plugins).

* Each test gets its own cache directory and no user config, so results
  never leak between tests or from the developer's machine.
* No test reaches the internet: a connection to any address outside the
  loopback range fails the test at once.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address: Any) -> None:
    if not isinstance(address, tuple):  # AF_UNIX paths are local by definition
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost":
            return
        raise ConnectionRefusedError(f"test tried to reach {host!r}: tests may only reach loopback") from None
    if not ip.is_loopback:
        raise ConnectionRefusedError(f"test tried to reach {host}: tests may only reach loopback")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FRAMESCRIBE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("FRAMESCRIBE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield
