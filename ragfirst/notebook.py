"""The one call at the top of every notebook: offline defaults, Korean charts, fixed seeds."""

from __future__ import annotations

import random

SEED = 42


def setup(seed: int = SEED) -> None:
    """Prepare a notebook kernel so that its tables and charts are reproducible."""
    from ragfirst import config, fonts

    config.apply_offline_defaults()
    config.load_dotenv_file()
    fonts.use_korean_font()
    random.seed(seed)
    import numpy as np
    import pandas as pd

    np.random.seed(seed)
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.width", 120)
