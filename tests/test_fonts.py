"""Korean chart text renders with a bundled font and no missing-glyph warnings."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ragfirst.runtime import fonts  # noqa: E402

KOREAN = "월별 비용 비교 (만원) — RAG vs 파인튜닝"


def _glyph_warnings(family: str | None) -> list[str]:
    with matplotlib.rc_context():
        if family:
            matplotlib.rcParams["font.family"] = family
        fig, ax = plt.subplots()
        ax.set_title(KOREAN)
        ax.set_xlabel("개월")
        ax.plot([-1, 0, 1], [1, -2, 3])  # negative ticks use the minus sign
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_check_detects_missing_glyphs_with_a_latin_only_font():
    assert _glyph_warnings("DejaVu Sans"), "the check must be able to fail"


def test_korean_title_renders_without_glyph_warnings():
    family = fonts.use_korean_font()
    assert family == "NanumGothic"
    assert _glyph_warnings(family) == []


def test_font_files_come_from_the_wheel():
    files = fonts.korean_font_files()
    assert files and all(path.suffix == ".ttf" for path in files)
    assert "site-packages" in str(files[0])
