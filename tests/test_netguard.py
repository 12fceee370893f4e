"""The offline guard must turn any non-loopback connection into an immediate, clear failure."""

import socket
import subprocess
import sys
import time

import pytest

from ragfirst.runtime import netguard

# TEST-NET-1 (RFC 5737): reserved for documentation, never routed.
UNROUTABLE = ("192.0.2.1", 80)


def test_guard_is_active_in_the_test_process():
    assert netguard.is_installed()


def test_connection_to_a_public_address_is_refused_immediately():
    started = time.monotonic()
    with pytest.raises(netguard.NetworkBlockedError, match="offline guard.*192.0.2.1:80"):
        socket.create_connection(UNROUTABLE, timeout=30)
    assert time.monotonic() - started < 5  # refused before any packet, not a time-out


def test_hostname_lookup_is_refused():
    with pytest.raises(netguard.NetworkBlockedError, match="api.openai.com"):
        socket.getaddrinfo("api.openai.com", 443)


def test_udp_sendto_a_public_address_is_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(netguard.NetworkBlockedError):
            sock.sendto(b"x", ("8.8.8.8", 53))


def test_loopback_still_works():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            conn, _ = server.accept()
            conn.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost", "0.0.0.0"])
def test_local_hosts_are_allowed(host):
    assert netguard._is_local_host(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.1", "8.8.8.8", "example.com", "::ffff:8.8.8.8"])
def test_other_hosts_are_not_local(host):
    assert not netguard._is_local_host(host)


def test_child_interpreters_of_the_venv_are_guarded_too():
    """Notebook kernels and servers are separate processes: the venv's .pth hook guards them."""
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=30)\n"
        "except ConnectionRefusedError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("NetworkBlockedError ragfirst offline guard"), result.stderr


@pytest.mark.parametrize("call", [
    lambda: socket.gethostbyname("api.openai.com"),
    lambda: socket.gethostbyname_ex("api.openai.com"),
    lambda: socket.gethostbyaddr("8.8.8.8"),
    lambda: socket.getnameinfo(("8.8.8.8", 53), 0),
], ids=["gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"])
def test_every_name_lookup_is_refused(call):
    with pytest.raises(netguard.NetworkBlockedError):
        call()


def test_udp_sendmsg_to_a_public_address_is_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(netguard.NetworkBlockedError):
            sock.sendmsg([b"x"], [], 0, ("8.8.8.8", 53))


def test_local_lookups_still_work():
    assert socket.gethostbyname("localhost").startswith("127.")
    assert socket.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV) == ("127.0.0.1", "80")


def test_the_docstring_says_it_is_a_tripwire_and_names_what_it_misses():
    text = " ".join(netguard.__doc__.split())
    assert "tripwire, not a security boundary" in text
    for gap in ("_socket", "native code", "curl"):
        assert gap in text
