"""Lapor Gub settings under /app/lapor/atur (admins): categories, answer templates, the
working-day calendar (libur nasional, cuti bersama), working-hours periods (Ramadan), and the
CSV import of existing reports (upload, preview, then one all-or-nothing commit). The rules live
in services.complaint_settings and services.complaint_import; these routes parse and commit."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import AnswerTemplate, Complaint, ComplaintCategory, Holiday, Opd, WorkingHoursPeriod
from pressroom.services import ValidationError
from pressroom.services import complaint_import as imports
from pressroom.services import complaint_settings as settings
from pressroom.services.complaints import TYPE_LABELS
from pressroom.storage import get_storage
from pressroom.web.forms import REQUIRED, ConfirmForm, WibTimeField, choices, show_errors
from pressroom.web.security import permission_required

bp = Blueprint("complaints_admin", __name__, url_prefix="/app/lapor/atur")

#: Where the pending upload (between preview and commit) is remembered in the session.
PENDING = "lapor_import"


# Forms ------------------------------------------------------------------------------------------
#: For typed dates and times: unlike DataRequired, it keeps the field's own "not a date" message.
TYPED = InputRequired(message=_l("This field is required."))


class DayField(DateField):
    """A date (YYYY-MM-DD from the browser's date input), with a translated error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date, e.g. 2026-03-20.")) from None


class CategoryForm(FlaskForm):
    code = StringField(_l("Code (the Open311 service_code)"), validators=[REQUIRED, Length(max=40)],
                       render_kw={"placeholder": "jalan-rusak", "autocomplete": "off"})
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=120)],
                       render_kw={"placeholder": "Jalan dan jembatan rusak"})
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=120)],
                          render_kw={"placeholder": "Damaged roads and bridges"})
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)],
                                render_kw={"rows": 2})
    default_opd_id = SelectField(_l("OPD offered first when disposing"), coerce=int)
    is_active = BooleanField(_l("Active (offered on the report form and in Open311)"), default=True)


class TemplateForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int)
    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=150)],
                        render_kw={"placeholder": "Perbaikan dijadwalkan"})
    text = TextAreaField(_l("Answer text"), validators=[REQUIRED, Length(max=4000)], render_kw={"rows": 6})


class HolidayForm(FlaskForm):
    day = DayField(_l("Date"), validators=[TYPED])
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=150)],
                       render_kw={"placeholder": "Hari Raya Nyepi"})
    kind = SelectField(_l("Kind"), choices=choices(settings.HOLIDAY_KIND_LABELS.items()))


class HolidayPasteForm(FlaskForm):
    lines = TextAreaField(_l("One day per line: date;name;kind"), validators=[REQUIRED, Length(max=40000)],
                          render_kw={"rows": 8, "placeholder": "2026-03-20;Hari Raya Nyepi;libur\n"
                                                               "2026-03-23;Cuti bersama;cuti bersama"})


class PeriodForm(FlaskForm):
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=100)],
                       render_kw={"placeholder": "Ramadan 1447 H"})
    starts_on = DayField(_l("First day"), validators=[TYPED])
    ends_on = DayField(_l("Last day"), validators=[TYPED])
    day_start = WibTimeField(_l("Offices open (WIB)"), validators=[TYPED], format="%H:%M")
    day_end = WibTimeField(_l("Offices close (WIB)"), validators=[TYPED], format="%H:%M")


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose the file to import."))],
                     render_kw={"accept": ".csv,.txt"})


# Settings home ------------------------------------------------------------------------------------
@bp.get("/")
@permission_required("complaint.manage")
def index():
    year = clock.to_wib(clock.now()).year
    counts = {
        "categories": db.session.scalar(select(func.count()).select_from(ComplaintCategory)),
        "templates": db.session.scalar(select(func.count()).select_from(AnswerTemplate)),
        "holidays": len(settings.holidays(db.session, year)),
        "periods": db.session.scalar(select(func.count()).select_from(WorkingHoursPeriod)),
        "imported": db.session.scalar(select(func.count()).select_from(Complaint)
                                      .where(Complaint.source == "import")),
    }
    return render_template("complaints_admin/index.html", counts=counts, year=year,
                           office_hours=current_app.config.get("LAPOR_OFFICE_HOURS", "08:00-16:00"))


# Categories ---------------------------------------------------------------------------------------
def _opd_choices(first_label) -> list:
    opds = db.session.execute(select(Opd.id, Opd.short_name).where(Opd.is_active.is_(True))
                              .order_by(Opd.short_name)).all()
    return choices([(0, first_label)] + [(o.id, o.short_name) for o in opds])


def _category_input(form: CategoryForm) -> settings.CategoryInput:
    return settings.CategoryInput(code=form.code.data or "", name=form.name.data or "",
                                  name_en=form.name_en.data or "", description=form.description.data or "",
                                  default_opd_id=form.default_opd_id.data or None,
                                  is_active=bool(form.is_active.data))


def _category_page(form: CategoryForm, category: ComplaintCategory | None, status: int):
    opds = {o.id: o for o in db.session.scalars(select(Opd))}
    return render_template("complaints_admin/categories.html", form=form, category=category,
                           categories=settings.categories(db.session),
                           counts=settings.reports_per_category(db.session), opds=opds), status


@bp.route("/kategori", methods=["GET", "POST"])
@permission_required("complaint.manage")
def categories():
    form = CategoryForm()
    form.default_opd_id.choices = _opd_choices(_l("— none —"))
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                category = settings.save_category(db.session, current_user, None, _category_input(form))
            except ValidationError as exc:
                show_errors(exc, form)
            else:
                db.session.commit()
                flash(_l("Category “%(name)s” added.", name=category.name), "success")
                return redirect(url_for("complaints_admin.categories"), 303)
        return _category_page(form, None, 400)
    return _category_page(form, None, 200)


def _load_category(category_id: int) -> ComplaintCategory | None:
    return db.session.get(ComplaintCategory, category_id)


@bp.route("/kategori/<int:category_id>", methods=["GET", "POST"])
@permission_required("complaint.manage", _load_category)
def category_edit(category_id: int, obj: ComplaintCategory):
    form = CategoryForm(obj=obj if request.method == "GET" else None)
    form.default_opd_id.choices = _opd_choices(_l("— none —"))
    if request.method == "GET":
        form.default_opd_id.data = obj.default_opd_id or 0
        return _category_page(form, obj, 200)
    if form.validate_on_submit():
        try:
            settings.save_category(db.session, current_user, obj, _category_input(form))
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Category “%(name)s” saved.", name=obj.name), "success")
            return redirect(url_for("complaints_admin.categories"), 303)
    return _category_page(form, db.session.get(ComplaintCategory, category_id), 400)


# Answer templates -----------------------------------------------------------------------------------
def _template_page(form: TemplateForm, template: AnswerTemplate | None, status: int):
    names = dict(db.session.execute(select(ComplaintCategory.id, ComplaintCategory.name)).all())
    return render_template("complaints_admin/templates.html", form=form, template=template,
                           templates=settings.templates(db.session), category_names=names,
                           csrf_form=ConfirmForm()), status


def _template_form() -> TemplateForm:
    form = TemplateForm()
    form.category_id.choices = choices(
        [(0, _l("Every category"))]
        + [(c.id, c.name) for c in settings.categories(db.session)])
    return form


def _save_template(form: TemplateForm, template: AnswerTemplate | None):
    if form.validate_on_submit():
        try:
            saved = settings.save_template(db.session, current_user, template,
                                           category_id=form.category_id.data or None,
                                           title=form.title.data or "", text=form.text.data or "")
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Answer template “%(title)s” saved.", title=saved.title), "success")
            return redirect(url_for("complaints_admin.templates"), 303)
    return None


@bp.route("/jawaban", methods=["GET", "POST"])
@permission_required("complaint.manage")
def templates():
    form = _template_form()
    if request.method == "POST":
        return _save_template(form, None) or _template_page(form, None, 400)
    return _template_page(form, None, 200)


def _load_template(template_id: int) -> AnswerTemplate | None:
    return db.session.get(AnswerTemplate, template_id)


@bp.route("/jawaban/<int:template_id>", methods=["GET", "POST"])
@permission_required("complaint.manage", _load_template)
def template_edit(template_id: int, obj: AnswerTemplate):
    form = _template_form()
    if request.method == "GET":
        form.category_id.data, form.title.data, form.text.data = obj.category_id or 0, obj.title, obj.text
        return _template_page(form, obj, 200)
    return _save_template(form, obj) or _template_page(form, db.session.get(AnswerTemplate, template_id), 400)


@bp.post("/jawaban/<int:template_id>/hapus")
@permission_required("complaint.manage", _load_template)
def template_delete(template_id: int, obj: AnswerTemplate):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = obj.title
    settings.delete_template(db.session, current_user, obj)
    db.session.commit()
    flash(_l("Answer template “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("complaints_admin.templates"), 303)


# Holidays ---------------------------------------------------------------------------------------------
def _holiday_page(form: HolidayForm, paste: HolidayPasteForm, status: int, line_errors=()):
    years = settings.holiday_years(db.session)
    this_year = clock.to_wib(clock.now()).year
    year = request.args.get("tahun", type=int) or this_year
    return render_template("complaints_admin/holidays.html", form=form, paste=paste, year=year,
                           years=sorted(set(years) | {this_year, year}), line_errors=line_errors,
                           holidays=settings.holidays(db.session, year), kinds=settings.HOLIDAY_KIND_LABELS,
                           csrf_form=ConfirmForm()), status


def _saved_message(added: int, updated: int):
    if not added and not updated:
        return _l("Nothing was changed: those days are already on the calendar.")
    return _l("%(added)s day(s) added, %(updated)s updated.", added=added, updated=updated)


@bp.route("/libur", methods=["GET", "POST"])
@permission_required("complaint.manage")
def holidays():
    form, paste = HolidayForm(), HolidayPasteForm(formdata=None)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                item = settings.check_holiday(form.day.data, form.name.data or "", form.kind.data or "")
                added, updated = settings.add_holidays(db.session, current_user, [item])
            except ValidationError as exc:
                show_errors(exc, form)
            else:
                db.session.commit()
                flash(_saved_message(added, updated), "success")
                return redirect(url_for("complaints_admin.holidays", tahun=item.day.year), 303)
        return _holiday_page(form, paste, 400)
    return _holiday_page(form, paste, 200)


@bp.post("/libur/tempel")
@permission_required("complaint.manage")
def holidays_paste():
    form, paste = HolidayForm(formdata=None), HolidayPasteForm()
    line_errors: list = []
    if paste.validate_on_submit():
        try:
            items = settings.parse_holiday_lines(paste.lines.data or "")
            added, updated = settings.add_holidays(db.session, current_user, items)
        except settings.LineErrors as exc:
            db.session.rollback()
            line_errors = exc.lines
            paste.lines.errors = [exc.errors["lines"]]
        except ValidationError as exc:
            show_errors(exc, paste)
        else:
            db.session.commit()
            flash(_saved_message(added, updated), "success")
            return redirect(url_for("complaints_admin.holidays", tahun=min(i.day for i in items).year), 303)
    return _holiday_page(form, paste, 400, line_errors)


def _load_holiday(holiday_day: str) -> Holiday | None:
    try:
        day = date.fromisoformat(holiday_day)
    except ValueError:
        return None
    return db.session.get(Holiday, day)


@bp.post("/libur/<holiday_day>/hapus")
@permission_required("complaint.manage", _load_holiday)
def holiday_delete(holiday_day: str, obj: Holiday):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    year, name = obj.day.year, obj.name
    settings.delete_holiday(db.session, current_user, obj)
    db.session.commit()
    flash(_l("“%(name)s” was removed from the calendar.", name=name), "success")
    return redirect(url_for("complaints_admin.holidays", tahun=year), 303)


# Working-hours periods -----------------------------------------------------------------------------------
def _period_page(form: PeriodForm, period: WorkingHoursPeriod | None, status: int):
    return render_template("complaints_admin/periods.html", form=form, period=period,
                           periods=settings.periods(db.session), csrf_form=ConfirmForm(),
                           office_hours=current_app.config.get("LAPOR_OFFICE_HOURS", "08:00-16:00")), status


def _save_period(form: PeriodForm, period: WorkingHoursPeriod | None):
    if form.validate_on_submit():
        try:
            saved = settings.save_period(db.session, current_user, period, name=form.name.data or "",
                                         starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                         day_start=form.day_start.data, day_end=form.day_end.data)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Working hours “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("complaints_admin.periods"), 303)
    return None


@bp.route("/jam-kerja", methods=["GET", "POST"])
@permission_required("complaint.manage")
def periods():
    form = PeriodForm()
    if request.method == "POST":
        return _save_period(form, None) or _period_page(form, None, 400)
    return _period_page(form, None, 200)


def _load_period(period_id: int) -> WorkingHoursPeriod | None:
    return db.session.get(WorkingHoursPeriod, period_id)


@bp.route("/jam-kerja/<int:period_id>", methods=["GET", "POST"])
@permission_required("complaint.manage", _load_period)
def period_edit(period_id: int, obj: WorkingHoursPeriod):
    form = PeriodForm(obj=obj if request.method == "GET" else None)
    if request.method == "GET":
        return _period_page(form, obj, 200)
    return _save_period(form, obj) or _period_page(form, db.session.get(WorkingHoursPeriod, period_id), 400)


@bp.post("/jam-kerja/<int:period_id>/hapus")
@permission_required("complaint.manage", _load_period)
def period_delete(period_id: int, obj: WorkingHoursPeriod):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = obj.name
    settings.delete_period(db.session, current_user, obj)
    db.session.commit()
    flash(_l("Working hours “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("complaints_admin.periods"), 303)


# CSV import ----------------------------------------------------------------------------------------------
def _max_rows() -> int:
    return int(current_app.config["IMPORT_MAX_ROWS"])


def _pending() -> dict | None:
    """The upload waiting for confirmation in this browser session (this user's only)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("user") != current_user.id:
        return None
    return pending


def _drop_pending() -> None:
    pending = session.pop(PENDING, None)
    if isinstance(pending, dict) and pending.get("key"):
        imports.discard_upload(get_storage(), str(pending["key"]))


@bp.route("/impor", methods=["GET", "POST"])
@permission_required("complaint.manage")
def import_upload():
    form = ImportForm()
    if request.method == "POST":
        if form.validate_on_submit():
            filename = (form.file.data.filename or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1][:200]
            data = form.file.data.read()
            try:
                imports.read_rows(data, filename, max_rows=_max_rows())
            except ValidationError as exc:
                show_errors(exc, form)
            else:
                _drop_pending()
                key = imports.store_upload(get_storage(), data)
                session[PENDING] = {"key": key, "filename": filename, "user": current_user.id}
                return redirect(url_for("complaints_admin.import_upload") + "#pratinjau", 303)
        return render_template("complaints_admin/import.html", form=form, check=None, pending=None,
                               fields=imports.FIELD_LABELS, types=TYPE_LABELS, csrf_form=ConfirmForm()), 400
    pending, check = _pending(), None
    if pending is not None:
        data = imports.load_upload(get_storage(), str(pending.get("key", "")))
        if data is None:
            session.pop(PENDING, None)
            pending = None
        else:
            try:
                check = imports.check_file(db.session, data, pending["filename"], config=current_app.config,
                                           max_rows=_max_rows())
            except ValidationError as exc:
                show_errors(exc)
                _drop_pending()
                pending = None
    return render_template("complaints_admin/import.html", form=form, check=check, pending=pending,
                           fields=imports.FIELD_LABELS, types=TYPE_LABELS, csrf_form=ConfirmForm(),
                           error_limit=imports.ERROR_LIMIT, sample_limit=imports.SAMPLE_LIMIT)


@bp.post("/impor/simpan")
@permission_required("complaint.manage")
def import_commit():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    pending = _pending()
    data = imports.load_upload(get_storage(), str(pending.get("key", ""))) if pending else None
    if pending is None or data is None:
        flash(_l("There is no file waiting to be imported: upload it again."), "error")
        return redirect(url_for("complaints_admin.import_upload"), 303)
    # The POST's first transaction took SQLite's write lock: end it before reading the file.
    db.session.commit()
    try:
        result = imports.commit_import(db.session, current_user, data, pending["filename"],
                                       config=current_app.config, max_rows=_max_rows())
        db.session.commit()
    except ValidationError as exc:
        show_errors(exc)
        return redirect(url_for("complaints_admin.import_upload") + "#pratinjau", 303)
    except IntegrityError:
        db.session.rollback()
        flash(_l("Some of these reports were imported by someone else meanwhile. Nothing was imported; "
                 "look at the preview again."), "error")
        return redirect(url_for("complaints_admin.import_upload") + "#pratinjau", 303)
    _drop_pending()
    flash(_l("%(n)s report(s) imported with their original IDs. They are not public until a verifier reviews "
             "them.", n=result.count), "success")
    return redirect(url_for("complaints_admin.import_upload"), 303)


@bp.post("/impor/batal")
@permission_required("complaint.manage")
def import_cancel():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if _pending() is not None:
        _drop_pending()
        flash(_l("The import was cancelled; nothing was imported and the file was deleted."), "success")
    return redirect(url_for("complaints_admin.import_upload"), 303)
