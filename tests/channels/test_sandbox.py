"""The sandbox channel records what would have been sent, and the registry falls back to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pressroom import clock
from pressroom.channels.base import Message
from pressroom.channels.registry import UnknownChannel, build_channel, build_sandbox
from pressroom.channels.sandbox import FEED_FILE, SandboxChannel, read_entries
from tests.channels.conftest import jpeg


def _message(**overrides) -> Message:
    values = {
        "delivery_id": 7,
        "kind": "publish",
        "text": "Produksi padi Jawa Tengah 2024: 9,08 juta ton.",
        "recipient": "@jatengprov",
        "images": [jpeg(name="padi.jpg", alt="Grafik batang produksi padi per kabupaten")],
        "headers": {"X-Pressroom-Delivery": "7"},
    }
    values.update(overrides)
    return Message(**values)


def test_send_records_the_message_and_its_images(tmp_path):
    channel = SandboxChannel(tmp_path, stands_for="telegram")
    moment = datetime(2025, 3, 1, 2, 30, tzinfo=UTC)

    with clock.frozen(moment), channel.session({}) as batch:
        result = channel.send(batch, _message())

    assert result.status == "sent"
    assert result.external_id.startswith("sandbox-")
    lines = (tmp_path / FEED_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["id"] == result.external_id
    assert entry["channel"] == "telegram"
    assert entry["recipient"] == "@jatengprov"
    assert entry["text"].startswith("Produksi padi")
    assert entry["headers"] == {"X-Pressroom-Delivery": "7"}
    assert entry["at"] == "2025-03-01T02:30:00+00:00"
    [image] = entry["images"]
    assert image["filename"] == "padi.jpg"
    assert image["alt_text"] == "Grafik batang produksi padi per kabupaten"
    assert (tmp_path / image["path"]).read_bytes() == _message().images[0].data
    assert channel.name == "sandbox" and channel.stands_for == "telegram"


def test_feed_lists_newest_first_and_marks_retractions(tmp_path):
    channel = SandboxChannel(tmp_path, stands_for="email")
    with channel.session({}) as batch:
        first = channel.send(batch, _message(text="pertama", images=[]))
        second = channel.send(batch, _message(text="kedua", images=[]))

    assert channel.retract({}, first.external_id).status == "sent"

    entries = read_entries(tmp_path)
    assert [entry["text"] for entry in entries] == ["kedua", "pertama"]
    assert "retracted_at" not in entries[0]
    assert entries[1]["retracted_at"]
    assert channel.entries(limit=1)[0]["id"] == second.external_id


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    channel = SandboxChannel(tmp_path)
    with channel.session({}) as batch:
        channel.send(batch, _message(images=[]))
    with (tmp_path / FEED_FILE).open("a", encoding="utf-8") as feed:
        feed.write('{"id": "sandbox-half')

    assert len(read_entries(tmp_path)) == 1


def test_callable_sink_receives_each_entry():
    received = []
    channel = SandboxChannel(received.append, stands_for="x")

    result = channel.send(None, _message())

    assert result.status == "sent"
    assert received[0]["channel"] == "x"
    assert received[0]["images"][0]["alt_text"].startswith("Grafik")
    assert "path" not in received[0]["images"][0]


def test_a_store_that_cannot_be_written_means_retry(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    channel = SandboxChannel(blocked)

    result = channel.send(None, _message())

    assert result.status == "retry"
    assert "could not store" in result.reason


def test_registry_uses_the_sandbox_where_nothing_is_configured(tmp_path):
    config = {"STORAGE_PATH": str(tmp_path), "GRAPH_API_BASE": ""}

    email = build_channel("email", config)
    instagram = build_channel("instagram", config)

    assert isinstance(email, SandboxChannel) and email.stands_for == "email"
    assert isinstance(instagram, SandboxChannel) and instagram.stands_for == "instagram"
    assert email.store_dir == tmp_path / "sandbox"
    assert build_sandbox({"SANDBOX_PATH": str(tmp_path / "feed")}).store_dir == tmp_path / "feed"


def test_registry_refuses_an_unknown_name(tmp_path):
    with pytest.raises(UnknownChannel):
        build_channel("myspace", {"STORAGE_PATH": str(tmp_path)})
