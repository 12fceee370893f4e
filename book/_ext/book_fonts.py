"""Ship NanumGothic with the book so Korean never falls back to boxes.

The font files come from koreanize-matplotlib (already pinned for the charts,
NanumGothic is under the SIL Open Font License, which allows redistribution
with software) and are copied into ``_static/fonts`` at build time, so the repo
holds no binary copy and the site loads no font from the network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FONT_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")


def font_dir() -> Path:
    import koreanize_matplotlib

    return Path(koreanize_matplotlib.__file__).parent / "fonts"


def copy_fonts(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for name in FONT_FILES:
        shutil.copyfile(font_dir() / name, target / name)


def setup(app):
    app.connect("build-finished", copy_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
