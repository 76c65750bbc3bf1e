"""Translation helpers shared by every layer (Flask-Babel lazy strings render per request)."""

from flask_babel import lazy_gettext as _l  # noqa: F401
from flask_babel import lazy_ngettext as _ln  # noqa: F401
