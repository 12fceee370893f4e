"""Every refusal as one JSON shape, ``{"error": code, "message": 한국어, "field": name}``.

A client can branch on ``error``, show ``message`` to a person, and highlight
``field``. Pydantic's English validation messages are translated here, at the
boundary, so that no route has to repeat it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ServiceError(Exception):
    """A request the service refuses, with the status, a Korean message and the field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, "field": self.field}


def response(error: ServiceError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def internal(error: Exception) -> ServiceError:
    """A failure nobody foresaw, in the same shape (the traceback stays in the server's log)."""
    return ServiceError(500, "internal", f"서버 내부 오류로 요청을 처리하지 못했습니다 ({type(error).__name__}). 잠시 뒤에 다시 시도해 주세요.")


TYPE_NAMES = {"string": "문자열", "bool": "true 또는 false", "int": "정수", "dict": "JSON 객체"}


def translate(error: dict) -> ServiceError:
    """One pydantic error as a Korean :class:`ServiceError` naming the field."""
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    field = ".".join(location) or None
    kind = error.get("type", "")
    shown = f"'{field}'" if field else "요청 본문"
    if kind == "json_invalid":
        return ServiceError(400, "invalid_json", "요청 본문이 올바른 JSON이 아닙니다. 예: {\"question\": \"배송비는 얼마인가요?\"}")
    if kind == "missing":
        return ServiceError(422, "missing_field", f"{shown} 필드가 없습니다. 요청 본문에 넣어 주세요.", field)
    if kind == "extra_forbidden":
        return ServiceError(422, "unknown_field", f"{shown}는 알 수 없는 필드입니다. 철자를 확인하거나 빼 주세요.", field)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        wanted = next((name for prefix, name in TYPE_NAMES.items() if kind.startswith(prefix)), "올바른 형식")
        if kind.startswith("model_attributes") or kind.startswith("dict"):
            return ServiceError(422, "wrong_type", "요청 본문은 JSON 객체여야 합니다. 예: {\"question\": \"배송비는 얼마인가요?\"}")
        return ServiceError(422, "wrong_type", f"{shown} 값의 형식이 맞지 않습니다. {wanted}(으)로 보내 주세요.", field)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limits = error.get("ctx", {})
        bound = ", ".join(f"{k} {v}" for k, v in limits.items())
        return ServiceError(422, "out_of_range", f"{shown} 값이 허용 범위를 벗어났습니다 ({bound}).", field)
    return ServiceError(422, "invalid", f"{shown} 값이 올바르지 않습니다: {error.get('msg', '')}", field)


STATUS_MESSAGES = {
    404: ("not_found", "없는 주소입니다. API 목록은 /docs 에서 볼 수 있습니다."),
    405: ("method_not_allowed", "이 주소에서 쓸 수 없는 HTTP 메서드입니다. /docs 에서 메서드를 확인해 주세요."),
}


def install(app) -> None:
    """Register the handlers that give every error the same Korean JSON shape."""

    @app.exception_handler(ServiceError)
    async def _service(request: Request, error: ServiceError):
        return response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError):
        found = sorted(error.errors(), key=lambda e: e.get("type") != "extra_forbidden")  # a typo explains a missing field
        return response(translate(found[0]))

    @app.exception_handler(Exception)  # run by Starlette's outermost middleware, which then logs the traceback
    async def _internal(request: Request, error: Exception):
        return response(internal(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        code, message = STATUS_MESSAGES.get(error.status_code, ("http_error", str(error.detail)))
        return response(ServiceError(error.status_code, code, message, headers=getattr(error, "headers", None)))
