"""Korean text in matplotlib charts, from the NanumGothic font bundled in a PyPI wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FAMILY = "NanumGothic"


def korean_font_files() -> list[Path]:
    """The NanumGothic files shipped in ``koreanize-matplotlib``.

    Located without importing the package, which imports ``distutils`` and
    changes matplotlib settings as a side effect.
    """
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "Korean font package missing: install it with 'pip install koreanize-matplotlib' "
            "(or run 'make lab', which installs requirements.txt)."
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(root.rglob("NanumGothic*.ttf"))
    if not files:
        raise FileNotFoundError(f"No NanumGothic*.ttf found under {root}")
    return files


def use_korean_font() -> str:
    """Register the bundled font and make it matplotlib's default. Idempotent."""
    import matplotlib as mpl
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in korean_font_files():
        if str(path) not in known:
            font_manager.fontManager.addfont(str(path))
    mpl.rcParams["font.family"] = FONT_FAMILY
    mpl.rcParams["axes.unicode_minus"] = False  # NanumGothic lacks U+2212
    return FONT_FAMILY
