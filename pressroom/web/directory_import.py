"""Importing journalists from CSV/XLSX into an OPD under /app/wartawan/impor: upload, a
preview with column mapping and duplicate decisions, then one all-or-nothing commit.
The rules live in services.directory_import; these routes parse forms and commit."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from pressroom import db
from pressroom.i18n import _l
from pressroom.models import ImportBatch, Opd, User
from pressroom.services import ValidationError
from pressroom.services import directory_import as imports
from pressroom.services.contact_points import display_phone
from pressroom.storage import get_storage
from pressroom.web.forms import ConfirmForm, choices, show_errors
from pressroom.web.security import permission_required

bp = Blueprint("directory_import", __name__, url_prefix="/app/wartawan/impor")


class UploadForm(FlaskForm):
    opd_id = SelectField(_l("Import into OPD"), coerce=int)
    file = FileField(_l("CSV or Excel (.xlsx) file"),
                     validators=[FileRequired(message=_l("Choose the file to import."))],
                     render_kw={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm"})
    consent_method = StringField(_l("How consent was given (optional)"),
                                 validators=[Optional(), Length(max=100)],
                                 render_kw={"placeholder": "formulir"})
    consent_basis = TextAreaField(_l("Consent basis for every person in the file (optional)"),
                                  validators=[Optional(), Length(max=300)],
                                  render_kw={"rows": 2,
                                             "placeholder": "formulir persetujuan acara Hari Pers 2026"})


def _max_rows() -> int:
    return int(current_app.config["IMPORT_MAX_ROWS"])


def _load_batch(batch_id: int) -> ImportBatch | None:
    return db.session.get(ImportBatch, batch_id)


def _require_owner(batch: ImportBatch) -> None:
    if not imports.may_open(current_user, batch):
        abort(403)


def _end_read_transaction() -> None:
    """End a POST's first transaction before the file is parsed: on SQLite it took the write
    lock at BEGIN, and reading and checking thousands of rows must not hold it. (A GET reads
    in a deferred transaction anyway.)"""
    db.session.commit()


def _settings_from_form(saved: imports.ImportSettings) -> imports.ImportSettings:
    """The importer's choices posted from the preview form; anything absent stays as saved."""
    form = request.form
    settings = imports.ImportSettings(**vars(saved))
    settings.decisions = dict(saved.decisions)
    shown_sheet = form.get("mapped_sheet", saved.sheet or "")
    settings.sheet = form.get("sheet", shown_sheet) or None
    if (settings.sheet or "") != shown_sheet:
        # Another sheet: its columns and row numbers are new, so guess again and forget decisions.
        settings.mapping = settings.mapping_headers = None
        settings.decisions = {}
    else:
        headers = form.getlist("mapped_header")[:imports.MAX_COLUMNS]
        if headers:
            settings.mapping = [form.get(f"map-{i}", imports.IGNORE) for i in range(len(headers))]
            settings.mapping_headers = headers
        for key, value in form.items():
            if key.startswith("decision-") and key[9:].isdigit():
                settings.decisions[int(key[9:])] = value[:40]
    if "consent_method" in form or "consent_basis" in form:
        settings.consent_method = form.get("consent_method", "")[:100]
        settings.consent_basis = form.get("consent_basis", "")[:300]
    if "options_sent" in form:
        settings.skip_error_rows = form.get("skip_error_rows") == "y"
        undecided = form.get("undecided", "")
        settings.undecided = undecided if undecided in (imports.SKIP, imports.CREATE) else ""
    return settings


def _recent() -> list[ImportBatch]:
    return imports.recent_batches(db.session, current_user)


@bp.route("/", methods=["GET", "POST"])
@permission_required("journalist.edit")
def upload():
    opds = imports.importable_opds(db.session, current_user)
    if not opds:
        abort(403)
    form = UploadForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in opds)
    if form.validate_on_submit():
        opd = next(o for o in opds if o.id == form.opd_id.data)
        try:
            batch = imports.start_import(
                db.session, get_storage(), current_user, opd, filename=form.file.data.filename or "",
                data=form.file.data.read(), max_rows=_max_rows(),
                consent_method=form.consent_method.data or "", consent_basis=form.consent_basis.data or "")
        except ValidationError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                if name in form._fields:
                    form._fields[name].errors = list(form._fields[name].errors) + [message]
                else:
                    flash(str(message), "error")
            return render_template("directory_import/upload.html", form=form, recent=_recent()), 400
        db.session.commit()
        return redirect(url_for("directory_import.preview", batch_id=batch.id), 303)
    return render_template("directory_import/upload.html", form=form, recent=_recent()), (
        400 if form.errors else 200)


@bp.route("/<int:batch_id>", methods=["GET", "POST"])
@permission_required("journalist.import", _load_batch)
def preview(batch_id: int, obj: ImportBatch):
    _require_owner(obj)
    storage = get_storage()
    if request.method == "POST" and obj.status == "preview":
        imports.save_settings(storage, obj, _settings_from_form(imports.load_settings(storage, obj)))
        return redirect(url_for("directory_import.preview", batch_id=obj.id) + "#hasil", 303)
    opd = db.session.get(Opd, obj.opd_id)
    uploader = db.session.get(User, obj.created_by_id)
    if obj.status != "preview":
        counts = imports.committed_counts(db.session, obj)
        return render_template("directory_import/done.html", batch=obj, opd=opd, uploader=uploader,
                               counts=counts)
    settings = imports.load_settings(storage, obj)
    result = imports.build_preview(db.session, storage, obj, settings, max_rows=_max_rows())
    return render_template("directory_import/preview.html", batch=obj, opd=opd, uploader=uploader,
                           preview=result, settings=settings, fields=imports.FIELDS,
                           ignore=imports.IGNORE, ignore_label=imports.IGNORE_LABEL,
                           display_phone=display_phone, csrf_form=ConfirmForm())


@bp.post("/<int:batch_id>/commit")
@permission_required("journalist.import", _load_batch)
def commit(batch_id: int, obj: ImportBatch):
    _require_owner(obj)
    storage = get_storage()
    if obj.status != "preview":
        flash(str(imports.already_done_message(obj)), "error")
        return redirect(url_for("directory_import.preview", batch_id=obj.id), 303)
    settings = _settings_from_form(imports.load_settings(storage, obj))
    imports.save_settings(storage, obj, settings)
    _end_read_transaction()
    try:
        result = imports.commit_import(db.session, storage, current_user, obj, settings, max_rows=_max_rows())
    except ValidationError as exc:
        show_errors(exc)
        return redirect(url_for("directory_import.preview", batch_id=obj.id), 303)  # the message is on top
    db.session.commit()
    imports.discard_files(storage, obj)
    flash(_l("Import finished: %(created)s new, %(merged)s merged, %(skipped)s skipped.",
             created=result.created, merged=result.merged, skipped=result.skipped), "success")
    return redirect(url_for("directory_import.preview", batch_id=obj.id), 303)


@bp.post("/<int:batch_id>/cancel")
@permission_required("journalist.import", _load_batch)
def cancel(batch_id: int, obj: ImportBatch):
    _require_owner(obj)
    if imports.cancel_import(db.session, current_user, obj):
        db.session.commit()
        imports.discard_files(get_storage(), obj)
        flash(_l("The import was cancelled; nothing was imported and the file was deleted."), "success")
        return redirect(url_for("directory_import.upload"), 303)
    db.session.rollback()
    flash(str(imports.already_done_message(obj)), "error")
    return redirect(url_for("directory_import.preview", batch_id=obj.id), 303)
