"""Configuration: production fails fast on missing secrets."""

import pytest

import config


def test_production_refuses_to_start_without_required_settings(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(f"PRESSROOM_{name}", raising=False)
    with pytest.raises(config.ConfigError) as info:
        config.ProductionConfig().validate()
    message = str(info.value)
    for name in ("PRESSROOM_SECRET_KEY", "PRESSROOM_DATABASE_URL", "PRESSROOM_ENCRYPTION_KEY",
                 "PRESSROOM_PUBLIC_URL"):
        assert name in message


def test_production_accepts_complete_settings(monkeypatch):
    monkeypatch.setenv("PRESSROOM_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PRESSROOM_DATABASE_URL", "postgresql://db/pressroom")
    monkeypatch.setenv("PRESSROOM_ENCRYPTION_KEY", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=")
    monkeypatch.setenv("PRESSROOM_PUBLIC_URL", "https://pressroom.jatengprov.example")
    cfg = config.ProductionConfig()
    cfg.SECRET_KEY = "x" * 40
    cfg.validate()


def test_unknown_environment_is_a_clear_error():
    with pytest.raises(config.ConfigError, match="unknown PRESSROOM_ENV"):
        config.load("staging-typo")


def test_create_app_never_starts_the_scheduler(app):
    import threading

    names = [t.name for t in threading.enumerate()]
    assert not any("APScheduler" in n for n in names)
    assert "apscheduler" not in str(app.extensions).lower()
