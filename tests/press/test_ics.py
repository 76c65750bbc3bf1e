"""Invitation calendar files: they parse back, keep the WIB wall time, and cancel cleanly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject

from pressroom import clock
from pressroom.press.ics import invitation_ics

START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09.00 WIB
STAMP = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)


def invitation(**overrides):
    values = dict(
        uid="undangan-17@pers.jatengprov.go.id",
        title="Konferensi pers: Panen raya – “lumbung pangan”",
        description=("Konferensi pers bersama Gubernur.\n"
                     "Mohon hadir 15 menit sebelumnya; membawa ID pers, ya."),
        location="Gedung Gradhika Bhakti Praja, Jl. Pahlawan No. 9, Semarang",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        organizer_name="Humas Diskominfo Jateng",
        organizer_email="humas@jatengprov.go.id",
        url="https://pers.jatengprov.go.id/pers/undangan/17",
        stamp=STAMP,
    )
    values.update(overrides)
    return invitation_ics(**values)


def test_it_parses_back_with_every_field():
    data = invitation()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    calendar = vobject.readOne(data.decode("utf-8"))
    assert calendar.method.value == "PUBLISH"
    assert calendar.version.value == "2.0"
    event = calendar.vevent
    assert event.uid.value == "undangan-17@pers.jatengprov.go.id"
    assert event.summary.value == "Konferensi pers: Panen raya – “lumbung pangan”"
    assert event.description.value == (
        "Konferensi pers bersama Gubernur.\nMohon hadir 15 menit sebelumnya; membawa ID pers, ya."
    )
    assert event.location.value == "Gedung Gradhika Bhakti Praja, Jl. Pahlawan No. 9, Semarang"
    assert event.url.value == "https://pers.jatengprov.go.id/pers/undangan/17"
    assert event.sequence.value == "0"
    assert event.status.value == "CONFIRMED"
    assert event.organizer.value == "mailto:humas@jatengprov.go.id"
    assert event.organizer.params["CN"] == ["Humas Diskominfo Jateng"]
    assert event.dtstamp.value == STAMP


def test_times_are_wib_wall_times_with_an_asia_jakarta_timezone():
    data = invitation()
    text = data.decode("utf-8")
    assert "DTSTART;TZID=Asia/Jakarta:20261120T090000\r\n" in text
    assert "DTEND;TZID=Asia/Jakarta:20261120T110000\r\n" in text
    assert "DTSTAMP:20261115T030000Z\r\n" in text
    zone = vobject.readOne(text).vtimezone
    assert zone.tzid.value == "Asia/Jakarta"
    assert zone.standard.tzoffsetfrom.value == zone.standard.tzoffsetto.value
    assert "TZOFFSETTO:+0700\r\n" in text and "TZNAME:WIB\r\n" in text
    assert "DAYLIGHT" not in text and "RRULE" not in text
    event = vobject.readOne(text).vevent
    starts = event.dtstart.value
    assert (starts.hour, starts.minute) == (9, 0)
    assert starts.utcoffset() == timedelta(hours=7)
    assert starts.astimezone(UTC) == START  # 09.00 WIB = 02.00 UTC
    assert event.dtend.value.astimezone(UTC) == START + timedelta(hours=2)


def test_the_wib_date_can_differ_from_the_utc_date():
    late = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 00.00 WIB on 1 January 2027
    text = invitation(starts_at=late, ends_at=late + timedelta(hours=1)).decode()
    assert "DTSTART;TZID=Asia/Jakarta:20270101T000000" in text


def test_cancellation_and_update_keep_the_uid():
    calendar = vobject.readOne(invitation(sequence=2, cancelled=True).decode())
    event = calendar.vevent
    assert calendar.method.value == "PUBLISH"
    assert event.status.value == "CANCELLED"
    assert event.sequence.value == "2"
    assert event.uid.value == "undangan-17@pers.jatengprov.go.id"


def test_dtstamp_defaults_to_the_clock_and_same_input_gives_same_bytes():
    with clock.frozen(STAMP):
        assert invitation(stamp=None) == invitation()
    assert invitation() == invitation()


def test_long_lines_are_folded_and_optional_fields_left_out():
    data = invitation(description="", location="", url=None, title="Rapat " + "panjang " * 20)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    event = vobject.readOne(data.decode()).vevent
    assert event.summary.value == "Rapat " + "panjang " * 20
    for name in ("description", "location", "url"):
        assert not hasattr(event, name)


def test_a_quote_in_the_organizer_name_cannot_break_the_parameter():
    event = vobject.readOne(invitation(organizer_name='Humas "Jateng"\nBaru').decode()).vevent
    assert event.organizer.params["CN"] == ["Humas 'Jateng' Baru"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"starts_at": datetime(2026, 11, 20, 9, 0)}, "aware"),
    ({"ends_at": START}, "end after"),
    ({"ends_at": START - timedelta(minutes=1)}, "end after"),
    ({"uid": " "}, "UID"),
    ({"sequence": -1}, "SEQUENCE"),
    ({"organizer_email": "humas@jatengprov.go.id\r\nATTENDEE:x"}, "organizer"),
])
def test_bad_input_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        invitation(**overrides)
