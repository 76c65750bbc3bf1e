"""Translation helpers shared by every layer (lazy strings render per request, in the
reader's language).

Flask-Babel's lazy strings declare themselves safe HTML (``__html__`` returns the text as
is), so a message that carries a person's input — "“%(value)s” is not a valid email
address." — would reach the page unescaped. Ours escape: the translated template is
trusted, the interpolated values are escaped.
"""

from __future__ import annotations

from flask_babel import get_translations, gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape


class _EscapingLazyString(LazyString):
    def __init__(self, func, string, **variables):
        # Translate the bare template; escape only what is interpolated into it.
        super().__init__(func, string)
        self._variables = variables

    def __str__(self) -> str:
        text = super().__str__()
        return text % self._variables if self._variables else text

    def __html__(self) -> str:
        template = Markup(escape(super().__str__()))
        return str(template % self._variables) if self._variables else str(template)


def _l(string: str, **variables) -> LazyString:
    """A lazily translated string; ``variables`` are interpolated (and HTML-escaped)."""
    return _EscapingLazyString(gettext, string, **variables)


def _plural(singular: str, plural: str, num: int) -> str:
    return get_translations().ungettext(singular, plural, num)


def _ln(singular: str, plural: str, num: int, **variables) -> LazyString:
    """A lazily translated plural; ``%(num)s`` and ``variables`` are interpolated (escaped)."""
    variables.setdefault("num", num)
    return _EscapingLazyString(lambda s: _plural(s, plural, num), singular, **variables)
