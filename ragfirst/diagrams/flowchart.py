"""The seed's decision flowchart drawn as a self-contained SVG.

No network and no system binaries (Graphviz, Mermaid CLI): the SVG is plain
text, so it shows in JupyterLab, on GitHub and in ``nbconvert --to html``, and
it is byte-for-byte reproducible for nbval.
"""

from __future__ import annotations

from html import escape

from ragfirst.economics.decide import Decision, EDGES, NODES

# Questions go down the left column; each outcome sits to the right of its question.
MAIN_X, SIDE_X = 185, 570
ROWS = {"A": 0, "B": 1, "C": 1, "D": 2, "E": 2, "F": 3, "G": 3, "H": 4, "I": 4, "J": 5, "K": 5, "L": 6, "M": 6, "N": 7}
SIDE = {"C", "E", "G", "I", "K", "M"}
TOP, ROW_HEIGHT = 70, 82
DIAMOND_W, DIAMOND_H, BOX_W, BOX_H = 290, 60, 230, 42
PATH_COLOR, EDGE_COLOR, HELD_COLOR = "#c62828", "#546e7a", "#9e9e9e"
CONTINUE_LABEL = "추가 검토"
HELD_LABEL = "체크리스트에서 보류"
# Korean fonts the course's readers have: NanumGothic (fonts-nanum, koreanize-matplotlib), Windows, macOS, Linux.
FONT_FAMILY = "NanumGothic, 'Malgun Gothic', 'Apple SD Gothic Neo', 'Noto Sans CJK KR', sans-serif"


def _center(node: str) -> tuple[int, int]:
    return (SIDE_X if node in SIDE else MAIN_X), TOP + ROWS[node] * ROW_HEIGHT


def _shape(node: str, on_path: bool, held: bool = False) -> str:
    """One box; ``held``: reached, but the pre-fine-tuning checklist kept it out of the answer (grey, dashed)."""
    x, y = _center(node)
    info = NODES[node]
    if held:
        stroke = f'stroke="{HELD_COLOR}" stroke-width="3" stroke-dasharray="6 4"'
    else:
        stroke = f'stroke="{PATH_COLOR}" stroke-width="3"' if on_path else 'stroke="#37474f" stroke-width="1.2"'
    if info.kind == "question":
        w, h = DIAMOND_W / 2, DIAMOND_H / 2
        points = f"{x - w},{y} {x},{y - h} {x + w},{y} {x},{y + h}"
        body = f'<polygon points="{points}" fill="#fffde7" {stroke}/>'
    else:
        radius = 20 if info.kind == "start" else 8
        body = (f'<rect x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" rx="{radius}" '
                f'fill="{info.fill}" {stroke}/>')
    weight = ' font-weight="bold"' if on_path and not held else ""
    text = f'<text x="{x}" y="{y + 5}" text-anchor="middle" font-size="13"{weight}>{escape(info.label)}</text>'
    if held:
        text += (f'<text x="{x}" y="{y + BOX_H / 2 + 16}" text-anchor="middle" font-size="12" '
                 f'fill="{HELD_COLOR}">{HELD_LABEL}</text>')
    return f'<g id="node-{node}">{body}{text}</g>'


def _edge(source: str, target: str, label: str | None, on_path: bool) -> str:
    (x1, y1), (x2, y2) = _center(source), _center(target)
    source_is_question = NODES[source].kind == "question"
    if target in SIDE and source not in SIDE:  # to the right
        x1 += DIAMOND_W / 2 if source_is_question else BOX_W / 2
        x2 -= BOX_W / 2
        label_xy = ((x1 + x2) / 2, y1 - 7)
    else:  # downwards
        y1 += DIAMOND_H / 2 if source_is_question else BOX_H / 2
        y2 -= DIAMOND_H / 2 if NODES[target].kind == "question" else BOX_H / 2
        label_xy = (x1 + 8, (y1 + y2) / 2 + 4)
    color = PATH_COLOR if on_path else EDGE_COLOR
    width = 3 if on_path else 1.4
    marker = "arrow-path" if on_path else "arrow"
    line = (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="{width}" '
            f'marker-end="url(#{marker})"/>')
    text = ""
    if label:
        answer = "예" if label == "Yes" else "아니오"
        text = (f'<text x="{label_xy[0]}" y="{label_xy[1]}" font-size="12" fill="{color}" '
                f'text-anchor="{"middle" if target in SIDE else "start"}">{answer}</text>')
    return f'<g id="edge-{source}-{target}">{line}{text}</g>'


def _continuation(outcome: str, question: str) -> str:
    """A dashed connector from an outcome box down to the next question: ``decide`` kept asking after a "Yes".

    It has its own route (outcome bottom, left above the question, onto the
    diamond's upper-right side) so it never runs along the seed's "아니오" edge.
    """
    (ox, oy), (qx, qy) = _center(outcome), _center(question)
    start_x, start_y = ox - BOX_W / 4, oy + BOX_H / 2
    mid_y = (start_y + qy - DIAMOND_H / 2) / 2
    end_x = qx + DIAMOND_W / 4  # halfway along the upper-right side of the diamond
    end_y = qy - DIAMOND_H / 4
    points = f"{start_x},{start_y} {start_x},{mid_y} {end_x},{mid_y} {end_x},{end_y}"
    return (f'<g id="continue-{outcome}-{question}">'
            f'<polyline points="{points}" fill="none" stroke="{PATH_COLOR}" stroke-width="2" stroke-dasharray="7,5" '
            f'marker-end="url(#arrow-path)"/>'
            f'<text x="{(start_x + end_x) / 2}" y="{mid_y - 5}" font-size="12" fill="{PATH_COLOR}" '
            f'text-anchor="middle">{CONTINUE_LABEL}</text></g>')


def flowchart_svg(decision: Decision | None = None, title: str = "") -> str:
    """The flowchart as an SVG document; with ``decision``, its path drawn in red.

    Only the answers actually given are drawn in red. When the flowchart reached 파인튜닝 진행 (N)
    but the pre-fine-tuning checklist kept fine-tuning out of the answer, N is grey and dashed,
    labelled "체크리스트에서 보류". A dashed red connector
    labelled "추가 검토" leaves an outcome box when ``decide`` kept asking the
    remaining questions after a "Yes" (to find hybrid answers); it is not one of
    the seed's edges.
    """
    visited = set(decision.path) if decision else set()
    answers = {step.node: step.answer for step in decision.steps} if decision else {}
    height = TOP + 8 * ROW_HEIGHT + (40 if decision else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" viewBox="0 0 720 {height}" '
        f'font-family="{FONT_FAMILY}">',
        '<defs>'
        f'<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{EDGE_COLOR}"/></marker>'
        f'<marker id="arrow-path" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{PATH_COLOR}"/></marker>'
        '</defs>',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    if title:
        parts.append(f'<text x="20" y="28" font-size="16" font-weight="bold">{escape(title)}</text>')
    path = decision.path if decision else []
    for source, target, label in EDGES:
        on_path = source in visited and target in visited and (label is None or answers.get(source) == label)
        parts.append(_edge(source, target, label, on_path))
    for source, target in zip(path, path[1:]):
        if NODES[source].kind == "outcome":
            parts.append(_continuation(source, target))
    # The flowchart reached 파인튜닝 진행 but a "no" or unanswered checklist box kept fine-tuning out of the answer.
    held = {"N"} if decision and "N" in visited and "finetuning" not in decision.techniques else set()
    for node in NODES:
        parts.append(_shape(node, node in visited, node in held))
    if decision:
        choice = "-" if decision.choice_number is None else decision.choice_number
        parts.append(f'<text x="20" y="{height - 18}" font-size="15" font-weight="bold" fill="{PATH_COLOR}">'
                     f'추천: {escape(decision.recommendation)} (선택지 {choice})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def show_flowchart(decision: Decision | None = None, title: str = ""):
    """An IPython SVG object for a notebook cell (image/svg+xml, kept by nbconvert)."""
    from IPython.display import SVG

    return SVG(data=flowchart_svg(decision, title))
