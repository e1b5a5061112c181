"""Test-wide fixtures, and the network block: every test runs with the network cut off.

An audit hook (``sys.addaudithook``) refuses any socket connection or name lookup that is not
loopback, so a test that would touch the network fails loudly instead of passing by luck.
``NETWORK_ATTEMPTS`` records every refused attempt for tests that assert none happened.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None}
NETWORK_ATTEMPTS: list[tuple[str, Any]] = []


class NetworkBlockedError(RuntimeError):
    """Raised by the audit hook when code under test reaches for the network."""


def _host(address: Any) -> Any:
    if isinstance(address, tuple) and address:
        return address[0]
    return address


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", object()):
            return
        host = _host(address)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        host = args[0] if args else None
    elif event == "urllib.Request":
        host = "urllib:" + str(args[0] if args else "")
    else:
        return
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOOPBACK:
        return
    NETWORK_ATTEMPTS.append((event, host))
    raise NetworkBlockedError(f"network access refused during tests: {event} {host!r}")


sys.addaudithook(_audit)


@pytest.fixture
def network_attempts() -> list[tuple[str, Any]]:
    """The list of refused network attempts, emptied before the test."""
    NETWORK_ATTEMPTS.clear()
    return NETWORK_ATTEMPTS
