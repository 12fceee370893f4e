"""Request body limits, enforced before any route parses a byte.

The body is read up to the route's limit and replayed to the app; a larger
``Content-Length`` is refused at once, and a chunked body is cut off as soon as it
passes the limit. A client that disconnects before its body is complete never
reaches a route, so a half-sent upload changes nothing.
"""

from __future__ import annotations

import json

ASK_BYTES = 16 * 1024  # a 1,000-character Korean question is 3 KB of UTF-8
UPLOAD_FILES = 20
UPLOAD_BYTES = 4 * 1024 * 1024  # up to 20 files; each is also held to the corpus limit (1 MB)


def limit_for(path: str) -> int:
    return UPLOAD_BYTES if path.rstrip("/") == "/v1/documents" else ASK_BYTES


async def _refuse(send, limit: int) -> None:
    body = json.dumps(
        {
            "error": "too_large",
            "message": f"요청 본문이 너무 큽니다. 이 주소는 {limit:,}바이트까지 받습니다.",
            "field": None,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: 413 with a Korean message for bodies over the route's limit."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left mid-body: nothing reaches the app
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: disconnect notices for streaming responses

        await self.app(scope, replay, send)
