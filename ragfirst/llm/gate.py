"""Who may talk to the local LLM server, and how much: checked before a request body is read.

Why: binding 127.0.0.1 keeps other machines out, not other local users, and not a web
page whose DNS name was rebound to 127.0.0.1 (the browser then sends that name in
``Host``). So every request needs the bearer token written, mode 0600, into the
server's state file (only the user who started it can read it; the course's client
sends it), and a loopback ``Host``. The body length is checked before reading:
``rfile.read(-1)`` on a negative length would read until the client closes.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as an HTTP status and a message that names the fix."""

    status: int
    message: str
    code: str


def host_name(host_header: str) -> str:
    """The name part of a ``Host`` header (``localhost:8080`` -> ``localhost``, ``[::1]:80`` -> ``[::1]``)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_caller(headers: Mapping[str, str], token: str) -> Refusal | None:
    """None when ``Host`` is a loopback name and ``Authorization`` carries the token."""
    host = headers.get("Host")
    if host is None or host_name(host) not in LOOPBACK_HOSTS:
        return Refusal(403, f"Host {host!r} is not a loopback name (127.0.0.1, localhost, [::1])", "bad_host")
    scheme, _, given = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return Refusal(401, "missing or wrong bearer token: the course's client reads it from the server's state "
                            "file (ragfirst.llm.local_server.running_server().token)", "invalid_api_key")
    return None


def body_length(headers: Mapping[str, str], limit: int) -> int | Refusal:
    """The validated ``Content-Length``: missing -> 411, not a non-negative integer -> 400, over ``limit`` -> 413."""
    if headers.get("Transfer-Encoding"):
        return Refusal(411, "chunked bodies are not accepted: send Content-Length", "length_required")
    text = headers.get("Content-Length")
    if text is None:
        return Refusal(411, "Content-Length header is required", "length_required")
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return Refusal(400, f"Content-Length {text!r} is not a non-negative integer", "bad_length")
    if int(text) > limit:
        return Refusal(413, f"request body is {int(text)} bytes; the limit is {limit}", "too_large")
    return int(text)
