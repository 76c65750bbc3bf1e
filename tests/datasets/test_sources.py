"""Polling sources against a local server: conditional requests, content hashes, CKAN pagination,
and every way a source can fail — including private addresses, refused unless allow-listed."""

from __future__ import annotations

import csv
import socket
from pathlib import Path

import pytest

from pressroom.datasets import DatasetInputError
from pressroom.datasets.schema import infer_schema, validate_preview
from pressroom.datasets.sources import check_url, fetch_ckan, fetch_csv, is_public_address, parse_ckan_url
from pressroom.datasets.tables import preview, preview_records, read_table
from tests.datasets.fake_source import HOST, FakeSource

FIXTURES = Path(__file__).parent / "fixtures"
ALLOW = [HOST]
CSV = (FIXTURES / "jateng_kabkota_2025.csv").read_bytes()


@pytest.fixture
def source():
    fake = FakeSource(delay=0.5).start()
    fake.set_csv(CSV)
    yield fake
    fake.stop()


def error_of(call, *args, **kwargs) -> DatasetInputError:
    with pytest.raises(DatasetInputError) as caught:
        call(*args, **kwargs)
    return caught.value


# Polling a CSV URL ---------------------------------------------------------------------------------
def test_a_csv_url_polled_with_etag_then_changed(source):
    url = source.url("/data.csv")
    first = fetch_csv(url, allow_hosts=ALLOW)
    assert (first.status, first.changed, first.content) == (200, True, CSV)
    assert first.etag == source.etag and first.last_modified and first.content_type.startswith("text/csv")
    assert preview(read_table(first.content, "data.csv", first.content_type)).names[0] == "kode_bps"

    second = fetch_csv(url, etag=first.etag, last_modified=first.last_modified,
                       previous_hash=first.content_hash, allow_hosts=ALLOW)
    assert (second.status, second.changed, second.content) == (304, False, None)
    assert second.content_hash == first.content_hash and second.etag == first.etag
    assert source.paths("/data.csv")[-1].headers["If-None-Match"] == first.etag

    updated = CSV.replace(b"3376,Kota Tegal,Kota,148668,145809,294477",
                          b"3376,Kota Tegal,Kota,148668,145809,294478")
    source.set_csv(updated)
    third = fetch_csv(url, etag=second.etag, last_modified=second.last_modified,
                      previous_hash=second.content_hash, allow_hosts=ALLOW)
    assert (third.status, third.changed, third.content) == (200, True, updated)
    assert third.etag == source.etag != first.etag and third.content_hash != first.content_hash


def test_last_modified_alone_is_enough(source):
    first = fetch_csv(source.url("/data.csv"), allow_hosts=ALLOW)
    again = fetch_csv(source.url("/data.csv"), last_modified=first.last_modified,
                      previous_hash=first.content_hash, allow_hosts=ALLOW)
    assert again.status == 304 and not again.changed


def test_without_validators_the_content_hash_decides(source):
    url = source.url("/plain.csv")
    first = fetch_csv(url, allow_hosts=ALLOW)
    assert first.etag is None and first.last_modified is None and first.changed
    again = fetch_csv(url, previous_hash=first.content_hash, allow_hosts=ALLOW)
    assert (again.status, again.changed, again.content) == (200, False, None)
    source.set_csv(CSV + b"\n")
    assert fetch_csv(url, previous_hash=first.content_hash, allow_hosts=ALLOW).changed


# Private addresses ----------------------------------------------------------------------------------
def test_a_loopback_source_is_refused_unless_allow_listed(source):
    problem = error_of(fetch_csv, source.url("/data.csv"))
    assert problem.code == "source_private_address"
    assert problem.details == {"host": HOST, "address": HOST}
    assert source.requests == []  # refused before connecting
    # Allow-listing is by the host as written: "localhost" is another host, and is refused.
    problem = error_of(fetch_csv, source.url("/data.csv", host="localhost"), allow_hosts=ALLOW)
    assert problem.code == "source_private_address" and problem.details["host"] == "localhost"
    # HTTPS connections are checked the same way, before any TLS handshake.
    assert error_of(fetch_csv, f"https://{HOST}:{source.port}/data.csv").code == "source_private_address"


def test_redirects_are_checked_at_every_hop(source):
    to_private = source.url("/redirect?to=" + source.url("/data.csv", host="localhost"))
    problem = error_of(fetch_csv, to_private, allow_hosts=ALLOW)
    assert problem.code == "source_private_address" and problem.details["host"] == "localhost"
    assert [r.path for r in source.requests] == ["/redirect"]
    followed = fetch_csv(source.url("/redirect?to=" + source.url("/plain.csv")), allow_hosts=ALLOW)
    assert followed.content == CSV and followed.url == source.url("/plain.csv")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/data.csv", "http://localhost:8080/", "http://10.1.2.3/data.csv", "http://192.168.1.10/",
    "http://172.16.0.5/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://[::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/",
])
def test_private_addresses_are_refused_when_a_source_is_saved(url):
    assert error_of(check_url, url).code == "source_private_address"


def test_saving_a_source_checks_the_form_too():
    assert check_url(" http://127.0.0.1:8000/a.csv ", allow_hosts=ALLOW) == "http://127.0.0.1:8000/a.csv"
    for url in ("ftp://data.example/a.csv", "data.jatengprov.go.id/a.csv", "", "http://", "http://x:port/"):
        assert error_of(check_url, url).code == "source_bad_url"
    assert is_public_address("8.8.8.8") and is_public_address("2001:4860:4860::8888")
    assert not is_public_address("224.0.0.1") and not is_public_address("::ffff:10.0.0.1")


# Failing sources --------------------------------------------------------------------------------------
def test_a_source_that_times_out(source):
    problem = error_of(fetch_csv, source.url("/slow"), allow_hosts=ALLOW, timeout=0.1)
    assert problem.code == "source_timeout" and problem.details == {"host": HOST, "seconds": 0.1}


def test_a_source_that_trickles_meets_the_deadline(source):
    source.delay = 0.05  # every byte in time for the read timeout, the whole far too slow
    problem = error_of(fetch_csv, source.url("/trickle"), allow_hosts=ALLOW, timeout=1, deadline=0.3)
    assert problem.code == "source_timeout"


def test_a_source_that_returns_a_web_page(source):
    problem = error_of(fetch_csv, source.url("/page"), allow_hosts=ALLOW)
    assert problem.code == "source_html" and "web page" in str(problem)


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_a_source_that_is_too_large(source, path):
    problem = error_of(fetch_csv, source.url(path), allow_hosts=ALLOW, max_bytes=100_000)
    assert problem.code == "too_large" and problem.details["limit"] == 100_000


@pytest.mark.parametrize("status", [404, 500, 503])
def test_http_errors(source, status):
    problem = error_of(fetch_csv, source.url(f"/status/{status}"), allow_hosts=ALLOW)
    assert problem.code == "source_http_error" and problem.details["status"] == status


def test_a_source_that_refuses_connections():
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    problem = error_of(fetch_csv, f"http://{HOST}:{port}/data.csv", allow_hosts=ALLOW, timeout=1)
    assert problem.code == "source_unreachable"


# CKAN -----------------------------------------------------------------------------------------------------
def kabkota_resource(source: FakeSource, resource_id: str = "jateng-kabkota-2025", **options) -> None:
    with (FIXTURES / "jateng_kabkota_2025.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    records = [{"kode_bps": r["kode_bps"], "nama_kabupaten_kota": r["nama_kabupaten_kota"],
                "penduduk_total": int(r["penduduk_total"]), "luas_km2": float(r["luas_km2"])} for r in rows]
    fields = [{"id": "kode_bps", "type": "text"}, {"id": "nama_kabupaten_kota", "type": "text"},
              {"id": "penduduk_total", "type": "int4"}, {"id": "luas_km2", "type": "numeric"}]
    source.add_resource(resource_id, fields, records, **options)


def test_ckan_pages_until_total(source):
    kabkota_resource(source)
    result = fetch_ckan(source.url(""), "jateng-kabkota-2025", allow_hosts=ALLOW, page_size=10)
    assert result.total == 35 and len(result.records) == 35
    assert result.columns == ["kode_bps", "nama_kabupaten_kota", "penduduk_total", "luas_km2"]
    assert result.records[0] == {"kode_bps": "3301", "nama_kabupaten_kota": "Kabupaten Cilacap",
                                 "penduduk_total": 2059748, "luas_km2": 2325.173}
    calls = source.paths("/api/3/action/datastore_search")
    assert [(c.args["offset"], c.args["limit"], c.args["sort"]) for c in calls] == [
        ("0", "10", "_id"), ("10", "10", "_id"), ("20", "10", "_id"), ("30", "10", "_id")]
    # The records go through the same preview and validation as an upload.
    p = preview_records(result.records, result.columns)
    clean, errors = validate_preview(p, infer_schema(p))
    assert errors == [] and sum(r["penduduk_total"] for r in clean) == 38_430_645
    again = fetch_ckan(source.url(""), "jateng-kabkota-2025", allow_hosts=ALLOW, page_size=100)
    assert again.content_hash == result.content_hash


def test_ckan_with_an_estimated_total_pages_until_an_empty_page(source):
    kabkota_resource(source, estimated=True)
    result = fetch_ckan(source.url(""), "jateng-kabkota-2025", allow_hosts=ALLOW, page_size=20)
    assert len(result.records) == 35
    assert [c.args["offset"] for c in source.paths("/api/3/action/datastore_search")] == ["0", "20", "35"]


def test_ckan_error_bodies(source):
    problem = error_of(fetch_ckan, source.url(""), "tidak-ada", allow_hosts=ALLOW)
    assert problem.code == "ckan_error"
    assert problem.details["type"] == "Not Found Error" and problem.details["status"] == 404
    assert 'Resource "tidak-ada" was not found' in str(problem)

    kabkota_resource(source, "rahasia", private=True)
    problem = error_of(fetch_ckan, source.url(""), "rahasia", allow_hosts=ALLOW)
    assert problem.code == "ckan_error" and problem.details["type"] == "Authorization Error"
    assert len(fetch_ckan(source.url(""), "rahasia", allow_hosts=ALLOW, api_token=source.token).records) == 35


def test_a_portal_that_is_not_ckan_or_answers_with_a_page(source):
    assert error_of(fetch_ckan, source.url("/elsewhere"), "x", allow_hosts=ALLOW).code == "source_http_error"
    source.ckan_maintenance = True
    assert error_of(fetch_ckan, source.url(""), "x", allow_hosts=ALLOW).code == "source_html"


def test_ckan_limits_and_addresses(source):
    kabkota_resource(source)
    problem = error_of(fetch_ckan, source.url(""), "jateng-kabkota-2025", allow_hosts=ALLOW, page_size=10,
                       max_rows=15)
    assert problem.code == "too_many_rows"
    assert error_of(fetch_ckan, source.url(""), "jateng-kabkota-2025").code == "source_private_address"


@pytest.mark.parametrize("url, expected", [
    ("https://data.jatengprov.go.id/dataset/penduduk/resource/0a1b2c3d-1111-2222-3333-444455556666",
     ("https://data.jatengprov.go.id", "0a1b2c3d-1111-2222-3333-444455556666")),
    ("https://portal.example/data/dataset/x/resource/abc/download/file.csv",
     ("https://portal.example/data", "abc")),
    ("https://portal.example/api/3/action/datastore_search?resource_id=abc&limit=5",
     ("https://portal.example", "abc")),
])
def test_ckan_addresses_people_paste(url, expected):
    assert parse_ckan_url(url) == expected


def test_a_ckan_address_without_a_resource():
    assert error_of(parse_ckan_url, "https://portal.example/dataset/x").code == "source_bad_url"
