"""The push API against its OpenAPI document: a good token makes a version (201), the same rows
are nothing new (200), new columns are held (202), bad rows are refused by row and column (422)
and the current version stays; a wrong, revoked or missing token is 401 and a staff cookie
never counts; another OPD's token gets 404; malformed JSON is 400 and an oversized body 413;
no CSRF token is needed. Every request and response body is checked against the schemas of
/api/openapi.json, and so are the public read endpoints' answers."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from pressroom.datasets import CODES
from pressroom.models import ApiToken, Dataset, DatasetVersion
from pressroom.services import datasets
from pressroom.web.api import API_CODES
from tests.conftest import login, reload

ROWS = [
    {"Kode": "3301", "Kabupaten/Kota": "Kabupaten Cilacap", "Jumlah": 2059748, "Luas": "2.325,173"},
    {"Kode": "3302", "Kabupaten/Kota": "Kabupaten Banyumas", "Jumlah": "1.868.446", "Luas": "1.391,153"},
    {"Kode": "33.03", "Kabupaten/Kota": "Kabupaten Purbalingga", "Jumlah": 1057750, "Luas": "805,757"},
]


class OpenApi:
    """The served document, and validators for the bodies of its operations."""

    def __init__(self, document: dict):
        validate_spec(document)
        self.document = document
        self.registry = Registry().with_resource(
            "urn:pressroom-openapi", Resource.from_contents(document, default_specification=DRAFT202012))

    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"urn:pressroom-openapi#{pointer}"}, registry=self.registry)

    @staticmethod
    def _escape(path: str) -> str:
        return path.replace("~", "~0").replace("/", "~1")

    def operation(self, path: str, method: str) -> dict:
        return self.document["paths"][path][method]

    def check_request(self, path: str, method: str, body) -> None:
        self._validator(f"/paths/{self._escape(path)}/{method}/requestBody/content/application~1json/schema"
                        ).validate(body)

    def check_response(self, path: str, method: str, response) -> dict:
        status = str(response.status_code)
        responses = self.operation(path, method)["responses"]
        assert status in responses, f"{method.upper()} {path} answered {status}, which the document omits"
        assert response.mimetype == "application/json"
        pointer = f"/paths/{self._escape(path)}/{method}/responses/{status}"
        if "$ref" in responses[status]:
            pointer = responses[status]["$ref"][1:]
        self._validator(f"{pointer}/content/application~1json/schema").validate(response.json)
        return response.json


PUSH = "/api/v1/datasets/{slug}/versions"


@pytest.fixture
def api(client):
    return OpenApi(client.get("/api/openapi.json").json)


@pytest.fixture
def desk(factory, session):
    opd, other = factory.opd("DISDUKCAPIL"), factory.opd("DINKES")
    editor = factory.user("editor", opd)
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Penduduk Jawa Tengah",
                                      key_column="Kode")
    _token, secret = datasets.create_token(session, editor, opd, "Ekspor SIPD")
    _other, other_secret = datasets.create_token(session, factory.user("editor", other), other, "Dinkes")
    session.commit()
    return {"opd": opd, "editor": editor, "dataset": dataset, "secret": secret, "other_secret": other_secret}


def push(client, api, dataset, secret, body, *, check_request: bool = True, **kwargs):
    if check_request:
        api.check_request(PUSH, "post", body)
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    response = client.post(f"/api/v1/datasets/{dataset.slug}/versions", json=body, headers=headers, **kwargs)
    return response, api.check_response(PUSH, "post", response)


def current(session, dataset) -> DatasetVersion | None:
    reload(session)
    return datasets.current_version(session, session.get(Dataset, dataset.id))


def test_the_document_describes_every_api_route_and_every_code(app, api):
    def shape(path: str) -> str:
        return re.sub(r"[<{][^>}]+[>}]", "{}", path)

    routes = {(shape(str(rule.rule)), method.lower()) for rule in app.url_map.iter_rules()
              if str(rule.rule).startswith("/api/v1/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(shape(path), method) for path, item in api.document["paths"].items() for method in item}
    assert routes == documented
    codes = set(api.document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
                ["enum"])
    assert set(CODES) | set(API_CODES) <= codes
    assert api.document["servers"] == [{"url": app.config["PUBLIC_URL"]}]


def test_a_good_push_makes_a_version_and_the_same_rows_nothing_new(client, api, session, desk):
    dataset = desk["dataset"]
    response, body = push(client, api, dataset, desk["secret"], {"rows": ROWS, "data_date": "2025-06-30"})
    assert response.status_code == 201 and body["status"] == "created"
    assert body["version"]["number"] == 1 and body["version"]["row_count"] == 3
    assert body["version"]["data_date"] == "2025-06-30"
    assert response.headers["Location"] == body["version"]["url"]
    version = current(session, dataset)
    assert version.origin == "api:Ekspor SIPD" and version.author_id is None
    cilacap = next(r for r in version.rows if r["Kode"] == "3301")
    assert cilacap["Jumlah"] == 2059748 and cilacap["Luas"] == "2325.173"
    reload(session)
    assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.opd_id == desk["opd"].id))

    # The same content, reordered and written differently: nothing new.
    same = [dict(r) for r in reversed(ROWS)]
    same[0]["Jumlah"] = "1057750"
    response, body = push(client, api, dataset, desk["secret"], {"rows": same})
    assert response.status_code == 200 and body["status"] == "unchanged" and body["version"]["number"] == 1

    # A changed figure: version 2 with its diff counts.
    moved = [dict(r) for r in ROWS]
    moved[0]["Jumlah"] = 2060001
    response, body = push(client, api, dataset, desk["secret"], {"rows": moved})
    assert response.status_code == 201 and body["version"]["number"] == 2
    assert body["version"]["diff"] == {"added": 0, "removed": 0, "changed": 1, "unchanged": 2}


def test_new_columns_are_held_and_a_correction_keeps_its_note(client, api, session, desk):
    dataset = desk["dataset"]
    response, body = push(client, api, dataset, desk["secret"], {"rows": ROWS, "correction_note": "x"})
    assert response.status_code == 422
    assert body["error"]["details"]["errors"][0]["code"] == "correction_refused"
    push(client, api, dataset, desk["secret"], {"rows": ROWS})
    wider = [{**r, "Kepadatan": 100} for r in ROWS]
    response, body = push(client, api, dataset, desk["secret"], {"rows": wider})
    assert response.status_code == 202 and body["status"] == "held" and body["held_for"] == "schema"
    assert body["changes"][0].items() >= {"kind": "added", "column": "Kepadatan"}.items()
    assert current(session, dataset).number == 1

    fixed = [dict(r) for r in ROWS]
    fixed[2]["Luas"] = "805,760"
    response, body = push(client, api, dataset, desk["secret"],
                          {"rows": fixed, "correction_note": "Luas Purbalingga salah ketik."})
    assert response.status_code == 201
    assert body["version"]["correction_note"] == "Luas Purbalingga salah ketik."
    assert current(session, dataset).corrects_version_id is not None


def test_bad_rows_are_refused_by_row_and_column_and_the_version_stays(client, api, session, desk):
    dataset = desk["dataset"]
    push(client, api, dataset, desk["secret"], {"rows": ROWS})
    before = current(session, dataset)
    bad = [dict(r) for r in ROWS]
    bad[1]["Kode"] = "3399"
    bad[2]["Jumlah"] = "banyak"
    response, body = push(client, api, dataset, desk["secret"], {"rows": bad})
    assert response.status_code == 422 and body["error"]["code"] == "update_refused"
    errors = {(e["row"], e["column"], e["code"]) for e in body["error"]["details"]["errors"]}
    assert {(2, "Kode", "unknown_region_code"), (3, "Jumlah", "not_a_number")} <= errors
    assert all(e["code"] in CODES for e in body["error"]["details"]["errors"])
    assert current(session, dataset).id == before.id
    # An empty list: refused the same way.
    response, body = push(client, api, dataset, desk["secret"], {"rows": []}, check_request=False)
    assert response.status_code == 422 and body["error"]["details"]["errors"][0]["code"] == "no_rows"
    reload(session)
    assert session.scalar(select(DatasetVersion.id).where(DatasetVersion.number == 2)) is None


@pytest.mark.parametrize("header", [None, "Bearer prs_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "prs_x"])
def test_a_wrong_or_missing_token_is_401(client, api, session, desk, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.post(f"/api/v1/datasets/{desk['dataset'].slug}/versions", json={"rows": ROWS},
                           headers=headers)
    body = api.check_response(PUSH, "post", response)
    assert response.status_code == 401 and body["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert current(session, desk["dataset"]) is None


def test_a_revoked_token_is_401(client, api, session, desk):
    token = session.scalar(select(ApiToken).where(ApiToken.opd_id == desk["opd"].id))
    datasets.revoke_token(session, desk["editor"], token)
    session.commit()
    response, body = push(client, api, desk["dataset"], desk["secret"], {"rows": ROWS})
    assert response.status_code == 401


def test_another_opds_token_gets_404_like_a_missing_dataset(client, api, session, desk):
    response, body = push(client, api, desk["dataset"], desk["other_secret"], {"rows": ROWS})
    assert response.status_code == 404 and body["error"]["code"] == "not_found"
    missing = client.post("/api/v1/datasets/tidak-ada/versions", json={"rows": ROWS},
                          headers={"Authorization": f"Bearer {desk['secret']}"})
    assert missing.status_code == 404 and api.check_response(PUSH, "post", missing)
    assert current(session, desk["dataset"]) is None


@pytest.mark.parametrize("raw, code, field", [
    (b"{not json", "malformed_json", None),
    (b"\xff\xfe{}", "malformed_json", None),
    (b"", "malformed_json", None),
    (b"[]", "malformed_body", "rows"),
    (b'{"data": []}', "malformed_body", "rows"),
    (b'{"rows": [], "extra": 1}', "malformed_body", "extra"),
    (b'{"rows": [{"Kode": "3301"}], "data_date": "30/06/2025"}', "malformed_body", "data_date"),
    (b'{"rows": [{"Kode": "3301"}], "correction_note": 5}', "malformed_body", "correction_note"),
    (b'{"rows": {"Kode": "3301"}}', "malformed_records", None),
    (b'{"rows": [["3301", 1]]}', "malformed_records", None),
    (b'{"rows": [{"Kode": {"nested": 1}}]}', "malformed_records", None),
])
def test_a_malformed_body_is_400_with_a_stable_code(client, api, session, desk, raw, code, field):
    response = client.post(f"/api/v1/datasets/{desk['dataset'].slug}/versions", data=raw,
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {desk['secret']}"})
    body = api.check_response(PUSH, "post", response)
    assert response.status_code == 400 and body["error"]["code"] == code
    if field:
        assert body["error"]["details"]["field"] == field
    assert current(session, desk["dataset"]) is None


def test_an_oversized_body_is_413(app, client, api, session, desk):
    app.config["MAX_UPLOAD_MB"] = 1
    rows = [{"Kode": "3301", "Catatan": "x" * 1000}] * 1200
    response, body = push(client, api, desk["dataset"], desk["secret"], {"rows": rows}, check_request=False)
    assert response.status_code == 413 and body["error"]["code"] == "too_large"
    # Over the server's own body limit too: still JSON, still the same code.
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response, body = push(client, api, desk["dataset"], desk["secret"], {"rows": rows}, check_request=False)
    assert response.status_code == 413 and body["error"]["code"] == "too_large"
    assert current(session, desk["dataset"]) is None


def test_no_csrf_is_needed_and_a_staff_cookie_alone_never_authenticates(app, factory, api, session, desk):
    assert app.config["WTF_CSRF_ENABLED"] is not False
    client = app.test_client()
    login(client, desk["editor"], factory)
    url = f"/api/v1/datasets/{desk['dataset'].slug}/versions"
    response = client.post(url, json={"rows": ROWS})
    assert response.status_code == 401 and api.check_response(PUSH, "post", response)
    # The same logged-in client with the token: accepted without any CSRF token, and the
    # version is the token's (no author), not the cookie's user.
    response = client.post(url, json={"rows": ROWS}, headers={"Authorization": f"Bearer {desk['secret']}"})
    assert response.status_code == 201 and api.check_response(PUSH, "post", response)
    assert current(session, desk["dataset"]).author_id is None
    assert client.get("/app/data/").status_code == 200  # the staff session is untouched


def test_the_token_page_shows_a_secret_once_and_revokes(app, factory, session, desk, api):
    from tests.conftest import csrf_token

    client = app.test_client()
    login(client, desk["editor"], factory)
    client.get("/bahasa/en?next=/")
    page = client.post("/app/data/token", data={"csrf_token": csrf_token(client, "/app/data/token"),
                                                "opd_id": str(desk["opd"].id), "name": "Sistem Dukcapil"})
    text = page.get_data(as_text=True)
    secret = text.split("<code>")[1].split("</code>")[0]
    assert page.status_code == 200 and secret.startswith("prs_") and "shown this once" in text
    assert secret not in client.get("/app/data/token").get_data(as_text=True)
    assert secret[:10] in client.get("/app/data/token").get_data(as_text=True)  # the prefix, to tell apart
    response, _ = push(client, api, desk["dataset"], secret, {"rows": ROWS})
    assert response.status_code == 201
    token = session.scalar(select(ApiToken).where(ApiToken.name == "Sistem Dukcapil"))
    client.post(f"/app/data/token/{token.id}/cabut",
                data={"csrf_token": csrf_token(client, "/app/data/token")})
    response, _ = push(client, api, desk["dataset"], secret, {"rows": ROWS})
    assert response.status_code == 401


def test_the_public_read_api_matches_the_document(client, api, session, factory, desk):
    dataset = desk["dataset"]
    push(client, api, dataset, desk["secret"], {"rows": ROWS})
    reload(session)
    fresh = session.get(Dataset, dataset.id)
    datasets.request_publication(session, desk["editor"], fresh)
    walidata = factory.user("walidata", factory.opd("BAPPEDA"))
    datasets.decide_publication(session, walidata, fresh, approve=True)
    session.commit()
    listing = client.get("/api/v1/datasets")
    body = api.check_response("/api/v1/datasets", "get", listing)
    assert [d["slug"] for d in body["data"]] == [dataset.slug]
    one = client.get(f"/api/v1/datasets/{dataset.slug}")
    body = api.check_response("/api/v1/datasets/{slug}", "get", one)
    assert len(body["data"]["rows"]) == 3 and body["data"]["version"]["number"] == 1
    missing = client.get("/api/v1/datasets/tidak-ada")
    assert missing.status_code == 404 and api.check_response("/api/v1/datasets/{slug}", "get", missing)
    bad = client.get("/api/v1/datasets?page=nol")
    assert bad.status_code == 400 and api.check_response("/api/v1/datasets", "get", bad)


def test_the_document_is_served_as_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.get_data())["openapi"].startswith("3.1")
