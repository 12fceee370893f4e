"""`ragfirst serve` and `ragfirst keys`: thin wrappers that print for a terminal."""

from __future__ import annotations

import os

from ragfirst.service import settings as service_settings


def run_serve(args) -> int:
    """Start uvicorn with ``--workers`` processes; options travel to them through the environment."""
    import uvicorn

    from ragfirst.llm import chat, local_server
    from ragfirst.runtime.config import select_backend

    if args.workers < 1 or not 0 <= args.port <= 65535:
        raise ValueError("--workers는 1 이상, --port는 0~65535여야 합니다.")
    if args.workers > 1 and not os.environ.get("RAGFIRST_CHROMA_URL"):
        raise ValueError(
            "여러 워커(--workers > 1)는 하나의 색인을 함께 써야 합니다: `chroma run --path DIR --host 127.0.0.1`로 "
            "Chroma 서버를 띄우고 RAGFIRST_CHROMA_URL=http://127.0.0.1:8000 처럼 알려 주세요 "
            "(로컬 폴더 색인은 한 프로세스만 안전하게 씁니다)."
        )
    if args.corpus:
        os.environ[service_settings.ENV_CORPUS] = os.path.abspath(args.corpus)
    if args.collection:
        os.environ[service_settings.ENV_COLLECTION] = args.collection
    # The service's LLM server already stops with its worker; an idle timeout would only make /ready
    # report 503 after a quiet half hour, with nothing to restart it until a question arrives.
    os.environ.setdefault("RAGFIRST_LLM_IDLE_TIMEOUT", "0")
    settings = service_settings.load()  # checks the values once, here, with a readable message
    if args.workers > 1 and settings.warm_llm and select_backend().kind == "local":
        local_server.ensure_local_server()  # one shared LLM server, started before the workers race for it
    print(f"ragfirst serve: http://{args.host}:{args.port}/ (API 문서 /docs) — 워커 {args.workers}개, "
          f"데이터 {settings.directory}", flush=True)
    print(chat.describe_backend(), flush=True)
    uvicorn.run("ragfirst.service.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=args.log_level, timeout_graceful_shutdown=10, server_header=False)
    return 0


def run_keys(args) -> int:
    """Create, list or revoke API keys in the service's SQLite file."""
    from ragfirst.service import keys
    from ragfirst.service.db import Database

    db = Database(service_settings.load().database)
    if args.action == "create":
        if not args.name:
            raise ValueError("키 이름이 필요합니다: ragfirst keys create 이름")
        if args.customer and keys.CUSTOMER_PATTERN.match(args.customer):  # keys.create names a malformed id
            from ragfirst.hybrid.tools import ShopTools
            from ragfirst.service.assistant import shop_database

            ShopTools(shop_database(service_settings.load().directory), args.customer).close()  # unknown: ValueError
        secret = keys.create(db, args.name, args.per_minute, args.burst, args.customer)
        print(f"API 키 '{args.name}'를 만들었습니다. 지금 한 번만 보여 드립니다 (저장되는 것은 해시뿐입니다):")
        print(secret)
        return 0
    if args.action == "list":
        rows = keys.list_keys(db)
        if not rows:
            print("키가 없습니다. `ragfirst keys create 이름`으로 만드세요.")
        for key in rows:
            state = f"폐기 {key.revoked}" if key.revoked else "사용 중"
            customer = f"고객 {key.customer_id}" if key.customer_id else "고객 없음"
            print(f"{key.name}\t{key.prefix}…\t분당 {key.per_minute:g}건, 버스트 {key.burst:g}\t{customer}\t{key.created}\t{state}")
        return 0
    if not args.name:
        raise ValueError("폐기할 키 이름이 필요합니다: ragfirst keys revoke 이름")
    if not keys.revoke(db, args.name):
        raise ValueError(f"사용 중인 키 '{args.name}'가 없습니다. `ragfirst keys list`로 이름을 확인하세요.")
    print(f"키 '{args.name}'를 폐기했습니다. 이 키로 오는 요청은 이제 401을 받습니다.")
    return 0
