import subprocess
import sys

import pytest

from callbridge.config import effective_config, load_settings
from callbridge.errors import ConfigError

BAD = [
    ({"database_url": "mysql://db/x"}, "CALLBRIDGE_DATABASE_URL", "postgresql+psycopg://"),
    ({"database_url": "not a url"}, "CALLBRIDGE_DATABASE_URL", "sqlite:///"),
    ({"jobs_url": "amqp://rabbit"}, "CALLBRIDGE_JOBS_URL", "redis://"),
    ({"public_url": "ftp://example.com"}, "CALLBRIDGE_PUBLIC_URL", "https://"),
    ({"clock": "sundial"}, "CALLBRIDGE_CLOCK", "'system'"),
    ({"log_level": "LOUD"}, "CALLBRIDGE_LOG_LEVEL", "DEBUG"),
    ({"keys": "no-colon-here"}, "CALLBRIDGE_KEYS", "callbridge keys init"),
    ({"http_timeout_seconds": -1}, "CALLBRIDGE_HTTP_TIMEOUT_SECONDS", "positive"),
    ({"default_region": "12"}, "CALLBRIDGE_DEFAULT_REGION", "ISO country code"),
    ({"colour": "blue"}, "CALLBRIDGE_COLOUR", "unknown setting"),
]


@pytest.mark.parametrize(("overrides", "setting", "fix"), BAD)
def test_a_bad_setting_is_named_with_its_fix(overrides, setting, fix):
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert setting in message
    assert fix in message


def test_key_material_never_appears_in_a_config_error():
    with pytest.raises(ConfigError) as caught:
        load_settings(keys="k1:c2VjcmV0,broken-entry-secret")
    assert "c2VjcmV0" not in str(caught.value)
    assert "broken-entry-secret" not in str(caught.value)


def test_defaults_live_under_the_data_dir(tmp_path):
    s = load_settings(data_dir=tmp_path)
    assert s.db_url == f"sqlite:///{tmp_path / 'callbridge.db'}"
    assert s.broker_url == f"sqlite:///{tmp_path / 'jobs.db'}"
    assert s.keyring_path == tmp_path / "keyring.json"


def test_postgres_urls_are_normalised_to_psycopg():
    assert load_settings(database_url="postgresql://u@h/db").db_url == "postgresql+psycopg://u@h/db"


def test_effective_config_masks_secrets_and_url_passwords():
    s = load_settings(keys="k1:" + "A" * 44, database_url="postgresql+psycopg://u:hunter2@h/db")
    shown = effective_config(s)
    assert shown["CALLBRIDGE_KEYS"] == "***"
    assert "hunter2" not in shown["CALLBRIDGE_DATABASE_URL"]
    assert ":***@" in shown["CALLBRIDGE_DATABASE_URL"]


def test_settings_come_from_a_toml_file_and_env_wins(tmp_path, monkeypatch):
    (tmp_path / "callbridge.toml").write_text('log_level = "WARNING"\ndefault_region = "GB"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLBRIDGE_DEFAULT_REGION", "DE")
    s = load_settings()
    assert s.log_level == "WARNING"
    assert s.default_region == "DE"


def _cli(*args, env_extra=None, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CALLBRIDGE_DATA_DIR": str(tmp_path), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "callbridge", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_config_check_exits_non_zero_naming_the_setting(tmp_path):
    result = _cli("config", "check", env_extra={"CALLBRIDGE_JOBS_URL": "kafka://x"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "CALLBRIDGE_JOBS_URL" in result.stderr
    assert "redis://" in result.stderr
    assert not list(tmp_path.iterdir()), "a bad config must not create anything"


def test_config_check_prints_masked_effective_config(tmp_path):
    secret = "k1:" + "Q" * 43 + "="
    result = _cli("config", "check", env_extra={"CALLBRIDGE_KEYS": secret}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "CALLBRIDGE_KEYS = ***" in result.stdout
    assert "Q" * 43 not in result.stdout
    assert "configuration is valid" in result.stdout
