"""The storage interface: public files, expiring signed URLs, no path escapes."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from pressroom import clock
from pressroom.storage import InvalidKey


def test_public_files_are_served_under_media(storage, client):
    storage.put("opd/x/logo.png", b"\x89PNG fake", public=True)
    assert storage.public_url_for("opd/x/logo.png") == "http://pressroom.test/media/opd/x/logo.png"
    with client.get("/media/opd/x/logo.png") as response:
        assert response.status_code == 200 and response.data == b"\x89PNG fake"
    assert client.get("/media/opd/x/missing.png").status_code == 404


def test_private_files_need_a_valid_unexpired_signature(storage, client):
    storage.put("uploads/secret.pdf", b"%PDF private")
    assert client.get("/media/uploads/secret.pdf").status_code == 404
    with clock.frozen(datetime.now(UTC)):
        url = storage.signed_url_for("uploads/secret.pdf", seconds=60)
        parts = urlsplit(url)
        path_and_query = f"{parts.path}?{parts.query}"
        with client.get(path_and_query) as response:
            assert response.status_code == 200 and response.data == b"%PDF private"
            assert "no-store" in response.headers["Cache-Control"]
        tampered = path_and_query.replace(parse_qs(parts.query)["signature"][0], "0" * 64)
        assert client.get(tampered).status_code == 403
        clock.advance(timedelta(seconds=61))
        assert client.get(path_and_query).status_code == 403


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/path", "a/../../b", "a//b", "", "a/.hidden/../x"])
def test_keys_cannot_escape_the_store(storage, key):
    with pytest.raises(InvalidKey):
        storage.put(key, b"x")


def test_writes_are_atomic_and_overwrite(storage):
    storage.put("a/b.txt", b"one")
    storage.put("a/b.txt", b"two")
    assert storage.get("a/b.txt") == b"two"
    assert not [p for p in storage.local_path("a/b.txt").parent.iterdir() if p.name.startswith(".tmp")]
