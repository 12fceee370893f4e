"""Test-wide settings: offline, no learner keys, the network guard on.

Set in pytest_configure so that notebook kernels and servers started by tests
inherit the same environment (the venv's .pth hook installs the guard there).
"""

import os

from ragfirst import config as ragfirst_config, netguard


def pytest_configure(config):  # noqa: D103 - pytest hook
    os.environ["RAGFIRST_OFFLINE"] = "1"
    os.environ["RAGFIRST_NO_DOTENV"] = "1"
    os.environ["PYTHONHASHSEED"] = "0"
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        os.environ.pop(name, None)
    ragfirst_config.apply_offline_defaults()
    netguard.install()
