"""Refuse every network connection except loopback, so offline runs fail loudly.

Installed for the whole interpreter when ``RAGFIRST_OFFLINE=1`` (a ``.pth`` file
written by ``scripts/bootstrap.sh`` calls :func:`install_from_env` at start-up),
which covers pytest, notebook kernels and any server a test starts.

This is a tripwire, not a security boundary. It patches Python's ``socket``
module: ``socket.connect``, ``connect_ex``, ``sendto``, ``sendmsg``,
``getaddrinfo`` (and so ``create_connection``, ``urllib``, ``requests``,
``httpx``), ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr`` and
``getnameinfo``. It catches a library that tries the internet by accident. It
does not stop code that means to get out: sockets made from ``_socket``
directly, native code (libcurl, gRPC, Rust or C++ HTTP clients inside wheels,
``ctypes``), child programs such as ``curl``, or anyone who undoes the patch.
Where untrusted code runs (grading), the boundary is the network namespace of
the sandbox (:mod:`ragfirst.grading.sandbox`), which has no interface at all.
"""

from __future__ import annotations

import ipaddress
import os
import socket

_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_installed = False


class NetworkBlockedError(ConnectionRefusedError):
    """A connection to a non-loopback address was attempted while offline."""


def _is_local_host(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0].lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a hostname that would need DNS
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _refuse(host: object, port: object) -> NetworkBlockedError:
    return NetworkBlockedError(
        f"ragfirst offline guard: blocked a network connection to {host}:{port}. "
        "The course runs offline (only 127.0.0.1 is allowed); "
        "models must come from PyPI wheels, not from the internet."
    )


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets, netlink: never leave the machine
    if isinstance(address, tuple) and address:
        host, port = address[0], address[1] if len(address) > 1 else "?"
        if not _is_local_host(host):
            raise _refuse(host, port)


def _guard_lookup(original):
    """A name or address lookup (DNS leaves the machine even when no connection follows)."""

    def lookup(host, *args, **kwargs):
        target = host[0] if isinstance(host, tuple) and host else host  # getnameinfo((host, port), flags)
        if not _is_local_host(target):
            raise _refuse(target, host[1] if isinstance(host, tuple) and len(host) > 1 else "dns")
        return original(host, *args, **kwargs)

    lookup.__name__ = lookup.__qualname__ = original.__name__
    return lookup


LOOKUPS = ("gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo")


def install() -> None:
    """Patch socket connect, connect_ex, sendto, sendmsg, getaddrinfo and the gethostby*/getnameinfo lookups.
    Idempotent."""
    global _installed
    if _installed:
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_sendmsg = socket.socket.sendmsg
    original_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        _check_address(self, address)
        return original_connect(self, address)

    def connect_ex(self, address):
        _check_address(self, address)
        return original_connect_ex(self, address)

    def sendto(self, data, *args):
        _check_address(self, args[-1])
        return original_sendto(self, data, *args)

    def sendmsg(self, buffers, *args):
        if len(args) >= 3:  # (ancdata, flags, address)
            _check_address(self, args[2])
        return original_sendmsg(self, buffers, *args)

    def getaddrinfo(host, port, *args, **kwargs):
        if not _is_local_host(host):
            raise _refuse(host, port)
        return original_getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.socket.sendmsg = sendmsg
    socket.getaddrinfo = getaddrinfo
    for name in LOOKUPS:
        setattr(socket, name, _guard_lookup(getattr(socket, name)))
    _installed = True


def is_installed() -> bool:
    return _installed


def install_from_env() -> None:
    """Install the guard when ``RAGFIRST_OFFLINE=1``; called from a ``.pth`` file."""
    if os.environ.get("RAGFIRST_OFFLINE") == "1":
        install()
