"""The one call at the top of every notebook: offline defaults, Korean charts, fixed seeds, text progress bars."""

from __future__ import annotations

import random

SEED = 42


def setup(seed: int = SEED) -> None:
    """Prepare a notebook kernel so that its tables and charts are reproducible."""
    from ragfirst.runtime import config, fonts

    config.apply_offline_defaults()
    config.load_dotenv_file()
    fonts.use_korean_font()
    random.seed(seed)
    import numpy as np
    import pandas as pd

    np.random.seed(seed)
    use_text_progress_bars()
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.width", 120)


def use_text_progress_bars() -> None:
    """Draw tqdm bars as text, ours and the libraries' (transformers looks up ``tqdm.auto.tqdm`` per call).

    A widget bar is stored in the notebook file as its first frame ("0%"), so GitHub,
    the book and a reader without the widget state see an unfinished bar; a text bar
    is stored as printed and ``make execute`` keeps only its last frame.
    """
    import tqdm.auto
    import tqdm.std

    tqdm.auto.tqdm = tqdm.std.tqdm
