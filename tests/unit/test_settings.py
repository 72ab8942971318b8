"""The kit's one settings loader (services/common/config.py): every service declares its own
settings as a dataclass of `env()` fields and reads them the same way."""
from pathlib import Path

import pytest

from gateway.config import GatewayConfig
from services.common.config import Settings, SettingsError
from services.files.config import FilesConfig
from services.identity.config import IdentityConfig


def test_each_variable_is_read_by_its_setting_s_type(monkeypatch):
    monkeypatch.setenv("RENCAI_LOGIN_LOCK_FAILURES", "7")
    monkeypatch.setenv("RENCAI_OIDC_PROVIDERS", '{"wechat": {"title": "微信"}}')
    monkeypatch.setenv("RENCAI_ENV", " Development ")
    monkeypatch.setenv("RENCAI_FILES_MAX_BODY_MB", "3")
    monkeypatch.setenv("RENCAI_RATE_LIMIT", "2.5")
    identity = IdentityConfig.from_env()
    assert (identity.account_lock_failures, identity.development) == (7, True)
    assert identity.oidc_providers == {"wechat": {"title": "微信"}}
    assert FilesConfig.from_env().max_body_bytes == 3 * 1024 * 1024
    assert GatewayConfig.from_env().rate_limit == 2.5


def test_an_empty_variable_is_unset_and_overrides_win(monkeypatch):
    monkeypatch.setenv("RENCAI_SMS_URL", "")
    monkeypatch.setenv("RENCAI_RETENTION_SMS_DAYS", "0")  # at least one day
    monkeypatch.setenv("RENCAI_LOGIN_CAPTCHA", "always")
    config = IdentityConfig.from_env(login_captcha="adaptive")
    assert (config.sms_url, config.retention_sms_days, config.login_captcha) == \
        (None, 1, "adaptive")


def test_defaults_that_hang_on_the_var_dir_follow_it(monkeypatch, tmp_path):
    for name in ("RENCAI_DATABASE_URL", "RENCAI_FILES_DIR", "RENCAI_KEYS_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env("files", var_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'files.db'}"
    assert (settings.files_dir, settings.keys_dir) == (tmp_path / "files", tmp_path / "keys")
    monkeypatch.setenv("RENCAI_KEYS_DIR", "/run/keys")
    assert Settings.from_env("files", var_dir=tmp_path).keys_dir == Path("/run/keys")


def test_a_value_that_does_not_parse_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("RENCAI_LOGIN_LOCK_FAILURES", "five")
    with pytest.raises(SettingsError, match="RENCAI_LOGIN_LOCK_FAILURES='five'"):
        IdentityConfig.from_env()
    monkeypatch.setenv("RENCAI_FILES_STORAGE", "ftp")
    with pytest.raises(ValueError, match="RENCAI_FILES_STORAGE must be 'local' or 's3'"):
        FilesConfig.from_env()


def test_a_secret_comes_from_its_variable_or_its_file(monkeypatch, tmp_path):
    (tmp_path / "link").write_text("from-a-mounted-secret\n")
    monkeypatch.delenv("RENCAI_FILES_LINK_SECRET", raising=False)
    monkeypatch.setenv("RENCAI_FILES_LINK_SECRET_FILE", str(tmp_path / "link"))
    assert FilesConfig.from_env().link_secret == "from-a-mounted-secret"


def test_the_gateway_declares_its_settings_the_same_way(monkeypatch, tmp_path):
    from gateway.config import GatewayConfig

    monkeypatch.setenv("RENCAI_RATE_LIMIT", "2.5")
    monkeypatch.setenv("RENCAI_GATEWAY_MAX_BODY_MB", "3")
    monkeypatch.setenv("RENCAI_WEB_SECURE_COOKIES", "1")
    monkeypatch.setenv("RENCAI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RENCAI_ENV", "dev")  # development only when asked for by name
    config = GatewayConfig.from_env()
    assert (config.rate_limit, config.max_body_bytes) == (2.5, 3 * 1024 * 1024)
    assert (config.web_secure_cookies, config.var_dir, config.development) == \
        (True, tmp_path, False)
    monkeypatch.delenv("RENCAI_WEB_SECURE_COOKIES")
    assert GatewayConfig.from_env().web_secure_cookies is False
