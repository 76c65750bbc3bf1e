"""The journalist directory under /app/wartawan."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("journalists", __name__, url_prefix="/app/wartawan")
