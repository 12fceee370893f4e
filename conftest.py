"""Test-wide settings: offline, no learner keys, the network guard on.

Set in pytest_configure so that notebook kernels and servers started by tests
inherit the same environment (the venv's .pth hook installs the guard there).
"""

import pytest

from ragfirst.runtime import config as ragfirst_config, netguard

# Notebooks that run models: their cells count as slow, so `-m slow` (make test-portable) runs them too.
MODEL_NOTEBOOKS = {"02_rag_pipeline.ipynb", "03_lora_demo.ipynb", "06_hybrid_system.ipynb"}


def pytest_configure(config):  # noqa: D103 - pytest hook
    ragfirst_config.apply_test_environment()
    netguard.install()


def pytest_collection_modifyitems(items):  # noqa: D103 - pytest hook
    for item in items:
        if item.path.name in MODEL_NOTEBOOKS:
            item.add_marker(pytest.mark.slow)
