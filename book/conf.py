"""Sphinx configuration of the course book (`make book`).

The source directory is the repository root, so notebooks/ and docs/ are read
where they live: a new notebook or docs page joins the book with no change here.
Stored notebook outputs are rendered as committed; nothing is executed.
"""

from __future__ import annotations

import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
sys.path.insert(0, str(BOOK / "_ext"))

project = "ragfirst"
author = "ragfirst 기여자"
copyright = "ragfirst 기여자, MIT 라이선스"
language = "ko"
# Korean for theme strings with no Korean catalog upstream (compiled at build time).
locale_dirs = ["book/locale"]
root_doc = "book/index"

extensions = [
    "myst_nb",
    "sphinx_copybutton",
    "korean_search",  # book/_ext: Korean morphemes in the search index
    "korean_ui",  # book/_ext: NanumGothic shipped with the site, Korean copy-button messages
    "mathml",  # book/_ext: formulas as MathML, no MathJax from a CDN
    "test_markers",  # book/_ext: no "# NBVAL_…" lines in the code a reader copies
]
html_math_renderer = "mathml"

# Only the course is a page; everything else in the repository is not read.
# solutions/ and exercises/ stay out: solutions hold graded answers and hidden
# tests, and exercises are worked in JupyterLab, not read on the web.
include_patterns = ["book/*.md", "notebooks/*.ipynb", "docs/*.md"]
exclude_patterns = [
    "**/.*", ".venv", ".cache", "_build", "build", "dist", "reports", "grade-out",
    "data", "ragfirst", "solutions", "exercises", "benchmarks", "scripts", "tests",
    "**/.ipynb_checkpoints",
]

nb_execution_mode = "off"
# ipywidgets would load require.js and the widget manager from a CDN: the book
# stays offline and shows each widget's stored text output instead.
nb_ipywidgets_js = {}
nb_render_markdown_format = "myst"
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "tasklist"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "ragfirst: 파인튜닝은 마지막 수단"
html_static_path = [str(BOOK / "_static")]
html_css_files = ["korean.css"]
html_favicon = str(BOOK / "_static" / "favicon.svg")
html_additional_pages = {"index": "redirect.html"}
templates_path = [str(BOOK / "_templates")]
html_last_updated_fmt = None
html_copy_source = False
html_use_index = False  # the course has no index entries: an empty index page helps nobody
html_show_sourcelink = False
# Light pages suit the stored charts (white backgrounds); it also gives the
# theme a valid mode on a first visit (else it logs a console error).
html_context = {"default_mode": "light"}
html_theme_options = {
    "home_page_in_toc": True,
    "search_bar_text": "검색…",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
copybutton_prompt_text = r">>> |\$ "
copybutton_prompt_is_regexp = True
