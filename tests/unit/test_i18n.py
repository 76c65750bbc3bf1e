"""Indonesian by default, English on request, and no untranslated string in the catalogue."""

import subprocess
import sys

from babel.messages.pofile import read_po

from tests.conftest import ROOT

PO = ROOT / "pressroom" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def test_every_source_string_has_an_indonesian_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_l", "-k", "_ln:1,2", "--no-location", "-o", str(pot), str(ROOT)],
        check=True, cwd=ROOT,
    )
    with pot.open("rb") as fh:
        template = read_po(fh)
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = (found.string if found else None)
        if isinstance(strings, tuple | list):
            missing = not all(strings)
        else:
            missing = not strings
        if found is None or missing or found.fuzzy:
            problems.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not problems, (
        "untranslated strings; run `pybabel extract`/`update` (see README) and translate:\n"
        + "\n".join(problems)
    )


def test_interface_is_indonesian_by_default_and_english_on_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="id"' in page and "Masuk untuk staf" in page
    response = client.get("/bahasa/en?next=/login")
    assert response.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Staff login" in page
    client.get("/bahasa/id?next=/login")
    assert "Masuk untuk staf" in client.get("/login").get_data(as_text=True)
