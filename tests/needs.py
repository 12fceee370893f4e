"""What a test needs from the machine: skipped with the reason on a laptop, a failure in CI.

CI (``CI=true``) must never pass by skipping: a missing namespace, browser or tool there
means the run checked less than it claims, so the test fails and names what is missing.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(problem: str | None, what: str) -> None:
    """Stop the calling test when ``problem`` is set: skip outside CI, fail inside it."""
    if problem is None:
        return
    message = f"{what} is not available here: {problem}"
    if in_ci():
        pytest.fail(f"CI needs {what}. {message}", pytrace=False)
    pytest.skip(message)
