"""Test-wide settings: offline, no learner keys, the network guard on.

Set in pytest_configure so that notebook kernels and servers started by tests
inherit the same environment (the venv's .pth hook installs the guard there).
"""

from ragfirst import config as ragfirst_config, netguard


def pytest_configure(config):  # noqa: D103 - pytest hook
    ragfirst_config.apply_test_environment()
    netguard.install()
