"""What a Korean reader sees beyond the text: the font, and the copy button's words.

NanumGothic comes from koreanize-matplotlib (already pinned for the charts;
the SIL Open Font License allows redistribution with software) and is copied
into ``_static/fonts`` at build time, so the repo holds no binary copy and the
site loads no font from the network.

sphinx-copybutton has no Korean messages and no setting to add them, so its
generated script gets a ``ko`` entry; if the script's shape changes, the build
fails instead of silently showing English.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FONT_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")
COPYBUTTON_MESSAGES = "const messages = {\n"
COPYBUTTON_KOREAN = (
    "  'ko': {\n"
    "    'copy': '복사',\n"
    "    'copy_to_clipboard': '클립보드에 복사',\n"
    "    'copy_success': '복사했습니다!',\n"
    "    'copy_failure': '복사하지 못했습니다',\n"
    "  },\n"
)


def font_dir() -> Path:
    import koreanize_matplotlib

    return Path(koreanize_matplotlib.__file__).parent / "fonts"


def copy_fonts(static: Path) -> None:
    target = static / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for name in FONT_FILES:
        shutil.copyfile(font_dir() / name, target / name)


def add_copybutton_korean(static: Path) -> None:
    script = static / "copybutton.js"
    text = script.read_text(encoding="utf-8")
    if COPYBUTTON_KOREAN in text:
        return
    if text.count(COPYBUTTON_MESSAGES) != 1:
        raise RuntimeError(f"{script}: sphinx-copybutton's messages table changed; update book/_ext/korean_ui.py")
    script.write_text(text.replace(COPYBUTTON_MESSAGES, COPYBUTTON_MESSAGES + COPYBUTTON_KOREAN), encoding="utf-8")


def finish(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        copy_fonts(static)
        add_copybutton_korean(static)


def setup(app):
    app.connect("build-finished", finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
