"""The seed's decision flowchart drawn as a self-contained SVG.

No network and no system binaries (Graphviz, Mermaid CLI): the SVG is plain
text, so it shows in JupyterLab, on GitHub and in ``nbconvert --to html``, and
it is byte-for-byte reproducible for nbval.
"""

from __future__ import annotations

from html import escape

from ragfirst.decide import EDGES, NODES, Decision

# Questions go down the left column; each outcome sits to the right of its question.
MAIN_X, SIDE_X = 185, 570
ROWS = {"A": 0, "B": 1, "C": 1, "D": 2, "E": 2, "F": 3, "G": 3, "H": 4, "I": 4, "J": 5, "K": 5, "L": 6, "M": 6, "N": 7}
SIDE = {"C", "E", "G", "I", "K", "M"}
TOP, ROW_HEIGHT = 70, 82
DIAMOND_W, DIAMOND_H, BOX_W, BOX_H = 290, 60, 230, 42
PATH_COLOR, EDGE_COLOR = "#c62828", "#546e7a"


def _center(node: str) -> tuple[int, int]:
    return (SIDE_X if node in SIDE else MAIN_X), TOP + ROWS[node] * ROW_HEIGHT


def _shape(node: str, on_path: bool) -> str:
    x, y = _center(node)
    info = NODES[node]
    stroke = f'stroke="{PATH_COLOR}" stroke-width="3"' if on_path else 'stroke="#37474f" stroke-width="1.2"'
    if info.kind == "question":
        w, h = DIAMOND_W / 2, DIAMOND_H / 2
        points = f"{x - w},{y} {x},{y - h} {x + w},{y} {x},{y + h}"
        body = f'<polygon points="{points}" fill="#fffde7" {stroke}/>'
    else:
        radius = 20 if info.kind == "start" else 8
        body = (f'<rect x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" rx="{radius}" '
                f'fill="{info.fill}" {stroke}/>')
    weight = ' font-weight="bold"' if on_path else ""
    text = f'<text x="{x}" y="{y + 5}" text-anchor="middle" font-size="13"{weight}>{escape(info.label)}</text>'
    return f'<g id="node-{node}">{body}{text}</g>'


def _edge(source: str, target: str, label: str | None, on_path: bool, dashed: bool) -> str:
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
    dash = ' stroke-dasharray="7,5"' if dashed else ""
    marker = "arrow-path" if on_path else "arrow"
    line = (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="{width}"{dash} '
            f'marker-end="url(#{marker})"/>')
    text = ""
    if label:
        answer = "예" if label == "Yes" else "아니오"
        text = (f'<text x="{label_xy[0]}" y="{label_xy[1]}" font-size="12" fill="{color}" '
                f'text-anchor="{"middle" if target in SIDE else "start"}">{answer}</text>')
    return line + text


def flowchart_svg(decision: Decision | None = None, title: str = "") -> str:
    """The flowchart as an SVG document; with ``decision``, its path drawn in red.

    A dashed red edge is a "No" branch followed after a "Yes": ``decide`` keeps
    asking the remaining questions so that hybrid answers are found.
    """
    visited = set(decision.path) if decision else set()
    answers = {step.node: step.answer for step in decision.steps} if decision else {}
    height = TOP + 8 * ROW_HEIGHT + (40 if decision else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" viewBox="0 0 720 {height}" '
        'font-family="NanumGothic, \'Malgun Gothic\', \'Apple SD Gothic Neo\', \'Noto Sans CJK KR\', sans-serif">',
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
    for source, target, label in EDGES:
        on_path = source in visited and target in visited
        dashed = on_path and label is not None and answers.get(source) != label
        parts.append(_edge(source, target, label, on_path, dashed))
    for node in NODES:
        parts.append(_shape(node, node in visited))
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
