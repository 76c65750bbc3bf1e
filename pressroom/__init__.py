"""Pressroom: the communications desk of a provincial government."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def _load_config(config: Any):
    import config as config_module

    if config is None or isinstance(config, str):
        return config_module.load(config)
    if isinstance(config, dict):
        base = config_module.load(config.get("ENV_NAME", "testing"))
        for key, value in config.items():
            setattr(base, key, value)
        return base
    return config


def create_app(config: Any = None) -> Flask:
    """Assemble the application. ``config``: a Config object, an environment name, or a
    dict of overrides on the testing configuration. Never starts the scheduler."""
    cfg = _load_config(config)
    cfg.validate()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(Path(cfg.INSTANCE_PATH).resolve()),
    )
    app.config.from_object(cfg)
    app.config["MAX_CONTENT_LENGTH"] = cfg.MAX_UPLOAD_MB * 1024 * 1024
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if cfg.PROXY_HOPS:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=cfg.PROXY_HOPS, x_proto=cfg.PROXY_HOPS,
            x_host=cfg.PROXY_HOPS, x_prefix=cfg.PROXY_HOPS,
        )

    from pressroom import db, storage
    from pressroom.crypto import Crypto

    db.init_app(app)
    storage.init_app(app)
    app.extensions["crypto"] = Crypto(cfg.ENCRYPTION_KEYS)

    from pressroom.web import init_app as init_web

    init_web(app)

    from pressroom.cli import register_commands

    register_commands(app)
    return app
