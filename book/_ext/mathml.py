"""Math as MathML, converted at build time: browsers draw it with no script.

Sphinx's default renderer loads MathJax from a CDN, which an offline book
cannot do; latex2mathml turns the few formulas the course has into MathML,
which Chromium, Firefox and Safari render natively.
"""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert


def visit_math(self, node) -> None:
    self.body.append(f'<span class="math">{convert(node.astext(), display="inline")}</span>')
    raise nodes.SkipNode


def visit_displaymath(self, node) -> None:
    if node.get("label"):
        self.body.append(f'<span class="eqno">({self.builder.env.get_domain("math").get_equation_number_for(node["label"])})</span>')
    self.body.append(f'<div class="math">{convert(node.astext(), display="block")}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_displaymath, None),
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
