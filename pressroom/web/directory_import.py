"""Importing journalists from CSV/XLSX into an OPD: upload, preview with mapping and
duplicates, then one all-or-nothing commit. (Being written; see the directory issue.)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("directory_import", __name__, url_prefix="/app/wartawan/impor")
