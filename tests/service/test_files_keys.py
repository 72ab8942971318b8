"""The secret that signs files' view links is a key like the others: configured (or a mounted
secret file) in the stack, refused when missing; generated apart from the databases only in
embedded development."""
import pytest

from services.common.config import Settings
from services.common.keyring import KeyConfigError
from services.files.config import FilesConfig, link_secret


def _settings(tmp_path, database_url):
    return Settings.from_env("files", var_dir=tmp_path, database_url=database_url)


def test_the_stack_refuses_files_without_a_link_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("RENCAI_FILES_LINK_SECRET", raising=False)
    monkeypatch.delenv("RENCAI_FILES_LINK_SECRET_FILE", raising=False)
    settings = _settings(tmp_path, "postgresql+psycopg://rencai_files@db/rencai_files")
    with pytest.raises(KeyConfigError, match="RENCAI_FILES_LINK_SECRET"):
        link_secret(FilesConfig.from_env(), settings)
    assert not list(tmp_path.iterdir())


def test_the_link_secret_from_a_mounted_file(tmp_path, monkeypatch):
    (tmp_path / "secret").write_text("from-the-secret-file\n")
    monkeypatch.delenv("RENCAI_FILES_LINK_SECRET", raising=False)
    monkeypatch.setenv("RENCAI_FILES_LINK_SECRET_FILE", str(tmp_path / "secret"))
    settings = _settings(tmp_path, "postgresql+psycopg://rencai_files@db/rencai_files")
    assert link_secret(FilesConfig.from_env(), settings) == "from-the-secret-file"


def test_embedded_keeps_its_link_secret_in_the_keys_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("RENCAI_FILES_LINK_SECRET", raising=False)
    monkeypatch.delenv("RENCAI_FILES_LINK_SECRET_FILE", raising=False)
    (tmp_path / "files-link.key").write_text("kept-by-an-older-version")
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'files.db'}")
    assert link_secret(FilesConfig.from_env(), settings) == "kept-by-an-older-version"
    assert not (tmp_path / "files-link.key").exists()
    assert (tmp_path / "keys" / "files-link.key").exists()
