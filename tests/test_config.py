"""Backend selection and cache location follow the environment, never printing a key."""

from pathlib import Path

from ragfirst.runtime import config


def test_no_key_and_no_url_selects_the_local_server():
    backend = config.select_backend({})
    assert backend.kind == "local"
    assert "로컬" in backend.describe()


def test_key_selects_openai_with_a_default_model_and_never_prints_the_key():
    backend = config.select_backend({"OPENAI_API_KEY": "sk-secret-123"})
    assert backend.kind == "openai"
    assert backend.model == config.DEFAULT_OPENAI_MODEL
    assert "sk-secret-123" not in backend.describe()


def test_base_url_selects_a_compatible_server_even_with_a_key():
    env = {"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_MODEL": "qwen2.5:7b"}
    backend = config.select_backend(env)
    assert (backend.kind, backend.base_url, backend.model) == ("compatible", "http://localhost:11434/v1", "qwen2.5:7b")


def test_blank_values_count_as_unset():
    assert config.select_backend({"OPENAI_API_KEY": "  ", "OPENAI_BASE_URL": ""}).kind == "local"


def test_cache_dir_honours_the_override(tmp_path, monkeypatch):
    target = tmp_path / "cache"
    monkeypatch.setenv("RAGFIRST_CACHE", str(target))
    assert config.cache_dir() == target and target.is_dir()


def test_dotenv_is_ignored_in_tests(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("RAGFIRST_TEST_ONLY=1\n")
    monkeypatch.setenv("RAGFIRST_NO_DOTENV", "1")
    assert config.load_dotenv_file(env_file) is False
    monkeypatch.setenv("RAGFIRST_NO_DOTENV", "0")
    monkeypatch.delenv("RAGFIRST_TEST_ONLY", raising=False)
    assert config.load_dotenv_file(env_file) is True
    import os
    assert os.environ.pop("RAGFIRST_TEST_ONLY") == "1"


def test_gitignore_keeps_secrets_and_cache_out():
    ignored = (config.REPO_ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored and ".cache/" in ignored
    assert Path(config.REPO_ROOT / ".env.example").is_file()
