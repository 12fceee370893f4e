"""Notebook 00's checks report real problems, not just successes."""

from ragfirst.runtime import envcheck


def test_missing_package_is_reported_with_the_fix():
    check = envcheck.check_package("surely-not-installed-package")
    assert not check.ok and "make lab" in check.detail


def test_summary_names_the_failing_checks():
    checks = [envcheck.Check("Python", True, "3.11"), envcheck.Check("한글 글꼴", False, "없음")]
    assert envcheck.summary(checks) == "확인 필요: 한글 글꼴"
    assert envcheck.as_table(checks)["상태"].tolist() == ["정상", "확인 필요"]


def test_this_environment_passes_every_check():
    failing = [c for c in envcheck.run_all() if not c.ok]
    assert not failing, failing
