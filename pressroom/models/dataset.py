"""The data centre: datasets, their immutable versions, the images rendered from them, and
the per-OPD tokens that push updates through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressroom import clock
from pressroom.db import Base
from pressroom.models.opd import Opd

#: table: any table with a declared schema; progres: the built-in "progres pembangunan" kind.
DATASET_KINDS = ("table", "progres")
#: Publication workflow (the one approval mechanism): draft (internal) → submitted → approved
#: (public) | rejected; withdrawn takes a public dataset back to internal.
DATASET_STATES = ("draft", "submitted", "approved", "rejected", "withdrawn", "held")
#: A version: current, superseded (by a newer one or a correction), held (a schema change
#: waiting for approval), rejected (a held schema change someone refused).
VERSION_STATES = ("current", "superseded", "held", "submitted", "approved", "rejected")
SOURCE_KINDS = ("none", "csv_url", "ckan")


class Dataset(Base):
    __tablename__ = "dataset"
    __table_args__ = (Index("ix_dataset_opd_state", "opd_id", "state"),
                      Index("ix_dataset_poll_due", "source_kind", "next_poll_at"),
                      Index("ix_dataset_series_due", "series_next_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    #: The public address: /data/<slug>.
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="table")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Tema, e.g. "Pertanian", "Kependudukan".
    topic: Mapped[str] = mapped_column(String(80), default="")
    unit: Mapped[str] = mapped_column(String(60), default="")
    #: "Sumber: …" and "Diolah oleh …" lines as printed under every chart.
    source_line: Mapped[str] = mapped_column(String(300), default="")
    processed_by: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[str] = mapped_column(String(80), default="")
    licence: Mapped[str] = mapped_column(String(80), default="CC BY 4.0")
    update_frequency: Mapped[str] = mapped_column(String(40), default="")
    #: The column that identifies a row (a BPS region code, a year, a project id).
    key_column: Mapped[str] = mapped_column(String(80))
    #: Final figures or provisional (angka sementara), printed on the chart.
    provisional: Mapped[bool] = mapped_column(default=False)
    #: The column schema: [{"name", "type", "required", "label", "codes"}].
    schema: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    #: How its charts are drawn: {"template", "label", "value", "top_n", "page_size", …}.
    chart: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Personal-data check: {column: {"reason", "resolution", "by", "at"}}; a flag without a
    #: resolution blocks publication.
    privacy_flags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: A new version drafts a post for the owning OPD (with the rendered images).
    draft_post_on_update: Mapped[bool] = mapped_column(default=False)

    # Publication through the one approval mechanism ---------------------------------------
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    approval_step: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approval_hash: Mapped[str | None] = mapped_column(String(64))
    state_reason: Mapped[str | None] = mapped_column(String(300))

    # The current version, and where updates come from --------------------------------------
    #: The version the public sees (no foreign key: the two tables point at each other; the
    #: service keeps it to a version of this dataset).
    current_version_id: Mapped[int | None]
    source_kind: Mapped[str] = mapped_column(String(10), default="none")
    source_url: Mapped[str | None] = mapped_column(String(500))
    #: CKAN resource id for datastore_search.
    source_resource: Mapped[str | None] = mapped_column(String(120))
    poll_minutes: Mapped[int] = mapped_column(default=1440)
    next_poll_at: Mapped[datetime | None]
    source_etag: Mapped[str | None] = mapped_column(String(200))
    source_last_modified: Mapped[str | None] = mapped_column(String(100))
    source_hash: Mapped[str | None] = mapped_column(String(64))
    last_poll_at: Mapped[datetime | None]
    last_poll_error: Mapped[str | None] = mapped_column(String(500))
    #: A recurring series: {"every": "week"|"month", "weekday": 0-6, "day": 1-28, "hour", "minute"}
    #: in WIB; the tick drafts and submits a post from the latest version (never approves).
    series: Mapped[dict[str, Any] | None]
    series_next_at: Mapped[datetime | None]
    #: Leases for the poll and series ticks (jobs/claim.py).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    opd: Mapped[Opd] = relationship(lazy="joined")

    @property
    def is_public(self) -> bool:
        return self.state == "approved"

    def approval_content(self) -> dict[str, Any]:
        """What a person approves when making a dataset public: its columns and how each
        flagged column was resolved (a schema change or a new flag needs a new approval)."""
        return {
            "kind": "dataset",
            "schema": [{"name": c.get("name"), "type": c.get("type")} for c in self.schema or []],
            "privacy": {k: (v or {}).get("resolution")
                        for k, v in sorted((self.privacy_flags or {}).items())},
        }


class DatasetVersion(Base):
    """One immutable update of a dataset: its rows, their hash, who or what made it."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),
                      Index("ix_dataset_version_render", "render_status", "render_due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    number: Mapped[int]
    #: The clean, validated rows (values typed as the schema says; dates as ISO strings).
    rows: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    #: The schema the rows were validated against (a schema change is held for approval).
    schema: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(default=0)
    #: upload:<file name> | api:<token name> | poll:csv | poll:ckan | seed | correction
    origin: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The readable difference from the previous version (services/datasets.describe_diff).
    diff: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: A correction (ralat): the public note, and the version it supersedes.
    correction_note: Mapped[str | None] = mapped_column(Text)
    corrects_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id"))
    #: Data date printed on the chart (the period the figures describe, or the upload day).
    data_date: Mapped[datetime | None]

    # A held schema change goes through the one approval mechanism --------------------------
    state: Mapped[str] = mapped_column(String(10), default="current")
    approval_step: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approval_hash: Mapped[str | None] = mapped_column(String(64))
    state_reason: Mapped[str | None] = mapped_column(String(300))

    # Rendering its images in the worker (claimed like deliveries) ---------------------------
    #: due | claimed | done | failed | none (nothing to render: held, superseded before render)
    render_status: Mapped[str] = mapped_column(String(10), default="due")
    render_due_at: Mapped[datetime] = mapped_column(default=clock.now)
    render_error: Mapped[str | None] = mapped_column(String(500))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    #: The draft post made from this version, when the dataset asks for one.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    dataset: Mapped[Dataset] = relationship(foreign_keys=[dataset_id])
    images: Mapped[list[DatasetImage]] = relationship(
        back_populates="version", cascade="all, delete-orphan",
        order_by="(DatasetImage.preset, DatasetImage.page)")

    def approval_content(self) -> dict[str, Any]:
        return {"kind": "dataset_version", "content_hash": self.content_hash,
                "schema": [{"name": c.get("name"), "type": c.get("type")} for c in self.schema or []]}


class DatasetImage(Base):
    """A rendered infographic of a version, cached by everything that shapes its bytes."""

    __tablename__ = "dataset_image"
    __table_args__ = (UniqueConstraint("version_id", "preset", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_version.id", ondelete="CASCADE"))
    preset: Mapped[str] = mapped_column(String(20))
    #: 0 for a single image; 0…n-1 for the pages of a carousel.
    page: Mapped[int] = mapped_column(default=0)
    #: charts.cache_key(...): the same key renders the same bytes, so it is never redone.
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    #: Generated in Indonesian from the data; editable.
    alt_text: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    version: Mapped[DatasetVersion] = relationship(back_populates="images")


class ApiToken(Base):
    """A per-OPD token for pushing dataset updates as JSON; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The first characters, shown so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    opd: Mapped[Opd] = relationship(lazy="joined")
