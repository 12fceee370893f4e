"""Drop nbval's test markers (``# NBVAL_IGNORE_OUTPUT`` …) from the code a reader sees and copies.

They tell ``pytest --nbval`` which stored outputs may differ between runs; in
the book they are noise, and a learner who copies a cell does not need them.
The notebooks keep them.
"""

from __future__ import annotations

import re

from docutils import nodes

MARKER = re.compile(r"^\s*# NBVAL_[A-Z_]+[^\n]*\n?", flags=re.M)


def strip_markers(app, doctree) -> None:
    for block in doctree.findall(nodes.literal_block):
        if "cell_input" not in block.parent.get("classes", []) or not MARKER.search(block.astext()):
            continue
        text = MARKER.sub("", block.astext())
        block.children = [nodes.Text(text)]
        if "rawsource" in vars(block):
            block.rawsource = text


def setup(app):
    app.connect("doctree-read", strip_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
