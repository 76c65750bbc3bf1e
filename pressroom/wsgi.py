"""WSGI entry point for gunicorn: ``gunicorn pressroom.wsgi:app``."""

from pressroom import create_app

app = create_app()
