"""WTForms forms for the staff pages (CSRF comes with FlaskForm), and how a view runs a service
and shows what it refused."""

from __future__ import annotations

from flask import abort, flash
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from pressroom import db
from pressroom.i18n import _l
from pressroom.models.opd import OPD_KINDS
from pressroom.models.user import LEVELS, ROLES
from pressroom.services import ValidationError
from pressroom.services.policy import Forbidden

ROLE_LABELS = {
    "admin": _l("Administrator (Diskominfo)"),
    "walidata": _l("Walidata (data steward)"),
    "viewer": _l("Viewer (read only)"),
    "editor": _l("Editor (OPD staff)"),
    "approver": _l("Approver (OPD head or Kabid)"),
    "verifier": _l("Lapor Gub verifier (sees reporters' identities)"),
    "officer": _l("Lapor Gub officer (answers the OPD's reports)"),
}
LEVEL_LABELS = {"staf": _l("Staff"), "kabid": _l("Head of division (Kabid)"), "kepala": _l("Head (Kepala)")}
KIND_LABELS = {
    "dinas": _l("Dinas"),
    "badan": _l("Badan"),
    "biro": _l("Biro"),
    "sekretariat": _l("Sekretariat"),
    "inspektorat": _l("Inspektorat"),
    "satpol": _l("Satpol PP"),
}
ACTING_LABELS = {"plh": _l("Plh. (Pelaksana Harian — temporary absence)"),
                 "plt": _l("Plt. (Pelaksana Tugas — vacant position)")}
REQUIRED = DataRequired(message=_l("This field is required."))


def show_errors(exc, form=None) -> None:
    """A service refused: undo the unit of work and show why — next to the form's fields
    where the error names one, otherwise as a message at the top of the page."""
    db.session.rollback()
    for name, message in exc.errors.items():
        if form is not None and name and name in form._fields:
            form._fields[name].errors = list(form._fields[name].errors) + [message]
        else:
            flash(message, "error")


def attempt(operation, success=None) -> bool:
    """Run a service operation as one unit of work: on a refusal show why (nothing saved), when
    the service finds the user may not do it answer 403, else commit and confirm ``success``."""
    try:
        operation()
    except ValidationError as exc:
        show_errors(exc)
        return False
    except Forbidden:
        db.session.rollback()
        abort(403)
    db.session.commit()
    if success is not None:
        flash(success, "success")
    return True


def flash_form_errors(form) -> None:
    """Show a form's validation errors as messages (for forms posted from a page that shows no
    fields of their own, such as an upload box on a detail page)."""
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class WibDateTimeField(DateTimeLocalField):
    """A datetime-local input read as WIB wall-clock time, with a translated error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date and time, e.g. 2026-12-01 08:00.")) from None


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[REQUIRED, Length(max=500)])
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[REQUIRED, Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("6-digit code shown by the app"),
        validators=[REQUIRED, Length(max=10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[REQUIRED])
    new_password = PasswordField(_l("New password (at least 10 characters)"), validators=[REQUIRED])
    confirm = PasswordField(_l("New password again"), validators=[REQUIRED])


class OpdForm(FlaskForm):
    code = StringField(_l("Code"), validators=[REQUIRED, Length(max=32)])
    name = StringField(_l("Official name"), validators=[REQUIRED, Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[REQUIRED, Length(max=60)])
    kind = SelectField(_l("Kind"), choices=choices((k, KIND_LABELS[k]) for k in OPD_KINDS))
    primary_color = StringField(_l("Main colour"), validators=[REQUIRED], render_kw={"type": "color"})
    accent_color = StringField(_l("Accent colour"), validators=[REQUIRED], render_kw={"type": "color"})
    is_active = BooleanField(_l("Active"), default=True)
    approval_steps = SelectField(_l("Approval chain"), coerce=int, choices=choices([
        (1, _l("One step: the head (Kepala)")), (2, _l("Two steps: a Kabid, then the Kepala"))]))


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[REQUIRED, Length(max=200)])
    nip = StringField(_l("NIP (optional)"), validators=[Optional(), Length(max=18)])


class UserEditForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[REQUIRED, Length(max=200)])
    nip = StringField(_l("NIP (optional)"), validators=[Optional(), Length(max=18)])


class MembershipForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    role = SelectField(_l("Role"), choices=choices((r, ROLE_LABELS[r]) for r in ROLES))
    position_title = StringField(_l("Position (jabatan)"), validators=[REQUIRED, Length(max=200)])
    level = SelectField(_l("Level"), choices=choices((lv, LEVEL_LABELS[lv]) for lv in LEVELS))


class ActingForm(FlaskForm):
    user_id = SelectField(_l("Official who will act"), coerce=int)
    opd_id = SelectField(_l("OPD"), coerce=int)
    kind = SelectField(_l("Kind"), choices=choices(ACTING_LABELS.items()))
    position_title = StringField(_l("Position acted in"), validators=[REQUIRED, Length(max=200)],
                                 render_kw={"placeholder": "Kepala Dinas Kesehatan"})
    level = SelectField(_l("Level"), choices=choices([("kepala", LEVEL_LABELS["kepala"]),
                                                      ("kabid", LEVEL_LABELS["kabid"])]))
    sk_number = StringField(_l("SK / surat perintah number"), validators=[REQUIRED, Length(max=120)])
    starts_at = WibDateTimeField(_l("From (WIB)"), validators=[REQUIRED], format="%Y-%m-%dT%H:%M")
    ends_at = WibDateTimeField(_l("Until (WIB)"), validators=[REQUIRED], format="%Y-%m-%dT%H:%M")


class DeactivateForm(FlaskForm):
    reason = TextAreaField(_l("Reason (e.g. mutasi to another agency)"),
                           validators=[REQUIRED, Length(max=300)])


class ConfirmForm(FlaskForm):
    """An empty form: a button that POSTs with a CSRF token."""


# Journalist directory ---------------------------------------------------------------------
class JournalistForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[REQUIRED, Length(max=200)])
    outlet_id = SelectField(_l("Outlet"), coerce=int)
    position = StringField(_l("Position at the outlet"), validators=[Optional(), Length(max=100)],
                           render_kw={"placeholder": "Reporter"})
    emails = TextAreaField(_l("Email addresses (one per line)"), validators=[Length(max=2000)],
                           render_kw={"rows": 2})
    phones = TextAreaField(_l("Phone / WhatsApp numbers (one per line)"), validators=[Length(max=2000)],
                           render_kw={"rows": 2, "inputmode": "tel"})
    first_channel = SelectField(_l("Preferred channel"))
    second_channel = SelectField(_l("Second choice"))
    beat_ids = SelectMultipleField(_l("Beats (pos liputan)"), coerce=int, render_kw={"size": 6})
    province_wide = BooleanField(_l("Covers the whole province"))
    region_codes = SelectMultipleField(_l("Coverage regions (kabupaten/kota)"), render_kw={"size": 6})
    ukw_level = SelectField(_l("UKW competency level"))
    press_card_issuer = StringField(_l("Press card issued by"), validators=[Optional(), Length(max=100)],
                                    render_kw={"placeholder": "PWI, AJI, IJTI, …"})
    opd_id = SelectField(_l("Followed by"), coerce=int)
    different_person = BooleanField(_l("This is a different person (same contact details as an existing "
                                       "record)"))


class OpdChoiceForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)


class NotesForm(FlaskForm):
    opd_id = HiddenField()
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)], render_kw={"rows": 3})


class ConsentForm(FlaskForm):
    channel = HiddenField()
    action = HiddenField()
    method = StringField(_l("How"), validators=[Length(max=100)],
                         render_kw={"placeholder": "formulir, email, lisan"})
    basis = StringField(_l("Basis / evidence"), validators=[Length(max=300)])


class EraseForm(FlaskForm):
    reason = SelectField(_l("Reason"))
    reference = StringField(_l("Request reference (optional, e.g. letter number)"),
                            validators=[Optional(), Length(max=60)])
    confirm = BooleanField(_l("I understand this removes every personal value and cannot be undone"),
                           validators=[REQUIRED])


class OutletForm(FlaskForm):
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=150)])
    type = SelectField(_l("Type"))
    dewan_pers = SelectField(_l("Dewan Pers verification"))
    region_code = SelectField(_l("Home region"))


class BeatForm(FlaskForm):
    name = StringField(_l("Beat"), validators=[REQUIRED, Length(max=80)])
    is_active = BooleanField(_l("In use"), default=True)


# Posts ---------------------------------------------------------------------------------------
class PostForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    caption = TextAreaField(_l("Caption"), validators=[Length(max=63206)], render_kw={"rows": 6})
    variant_x = TextAreaField(_l("Variant for X (optional)"), validators=[Length(max=2000)],
                              render_kw={"rows": 3})
    variant_instagram = TextAreaField(_l("Variant for Instagram (optional)"), validators=[Length(max=3000)],
                                      render_kw={"rows": 3})
    variant_telegram = TextAreaField(_l("Variant for Telegram (optional)"), validators=[Length(max=4096)],
                                     render_kw={"rows": 3})
    scheduled_at = WibDateTimeField(_l("Publish at (WIB)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    account_ids = SelectMultipleField(_l("Accounts"), coerce=int)


class ImageForm(FlaskForm):
    image = FileField(_l("Image (JPEG or PNG)"), validators=[FileRequired(message=_l("Choose a file."))])
    alt_text = StringField(_l("Alt text (describe the image for blind readers)"),
                           validators=[REQUIRED, Length(max=1000)])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)], render_kw={"rows": 2})


class StopForm(FlaskForm):
    kind = SelectField(_l("Kind"))
    opd_id = SelectField(_l("Applies to"), coerce=int)
    starts_at = WibDateTimeField(_l("From (WIB)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    ends_at = WibDateTimeField(_l("Until (WIB)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    reason = StringField(_l("Reason"), validators=[REQUIRED, Length(max=300)],
                         render_kw={"placeholder": "Masa tenang Pilkada"})


class ReconnectForm(FlaskForm):
    credentials = TextAreaField(_l("New credentials (JSON)"), validators=[REQUIRED, Length(max=4000)],
                                render_kw={"rows": 3, "autocomplete": "off"})


class AccountForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    platform = SelectField(_l("Platform"))
    name = StringField(_l("Name shown"), validators=[REQUIRED, Length(max=120)])
    credentials = TextAreaField(_l("Credentials (JSON; leave empty for the sandbox)"),
                                validators=[Length(max=4000)], render_kw={"rows": 3, "autocomplete": "off"})


# Data centre ---------------------------------------------------------------------------------
DATASET_KIND_LABELS = {"table": _l("Table (any columns)"),
                       "progres": _l("Progres pembangunan (projects' physical and financial progress)")}
CHART_LABELS = {
    "ranked_bar": _l("Ranked bars (e.g. kabupaten/kota from largest to smallest)"),
    "line": _l("Line over time"),
    "column": _l("Columns"),
    "big_number": _l("One big number"),
    "progress": _l("Progress bars (realisation against target)"),
    "table": _l("Table"),
}
SOURCE_LABELS = {"none": _l("Only uploads and API pushes"), "csv_url": _l("A CSV file at a web address"),
                 "ckan": _l("A CKAN resource (datastore)")}
WEEKDAY_LABELS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                  _l("Saturday"), _l("Sunday"))


class WholeNumberField(IntegerField):
    """An integer input with a translated error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a whole number.")) from None


class WibTimeField(TimeField):
    """A time of day typed in WIB (HH:MM), with a translated error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a time like 09:00.")) from None


class DatasetMetaForm(FlaskForm):
    """The catalogue entry and how its chart is drawn (shared by the new and edit forms)."""

    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=200)],
                        render_kw={"placeholder": "Jumlah Penduduk Menurut Kabupaten/Kota"})
    description = TextAreaField(_l("Description"), validators=[Length(max=4000)], render_kw={"rows": 3})
    topic = StringField(_l("Topic (tema)"), validators=[Length(max=80)],
                        render_kw={"placeholder": "Kependudukan"})
    unit = StringField(_l("Unit"), validators=[Length(max=60)], render_kw={"placeholder": "jiwa"})
    source_line = StringField(_l("Source line printed under the chart"), validators=[Length(max=300)],
                              render_kw={"placeholder": "Sumber: BPS Provinsi Jawa Tengah"})
    processed_by = StringField(_l("“Diolah oleh” line"), validators=[Length(max=200)],
                               render_kw={"placeholder": "Diolah oleh: Diskominfo Provinsi Jawa Tengah"})
    period = StringField(_l("Period"), validators=[Length(max=80)], render_kw={"placeholder": "2025"})
    licence = StringField(_l("Licence"), validators=[Length(max=80)], default="CC BY 4.0")
    update_frequency = StringField(_l("Update frequency"), validators=[Length(max=40)],
                                   render_kw={"placeholder": "Bulanan"})
    provisional = BooleanField(_l("Provisional figures (angka sementara)"))
    template = SelectField(_l("Chart"), choices=choices(CHART_LABELS.items()))
    label = StringField(_l("Label column (names on the chart)"), validators=[Length(max=80)],
                        render_kw={"list": "dataset-columns", "placeholder": "Kabupaten/Kota"})
    value = StringField(_l("Value column (the figures)"), validators=[Length(max=80)],
                        render_kw={"list": "dataset-columns", "placeholder": "Jumlah"})
    draft_post_on_update = BooleanField(_l("Draft a post with the new images after every update"))


class NewDatasetForm(DatasetMetaForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    kind = SelectField(_l("Kind"), choices=choices(DATASET_KIND_LABELS.items()))
    key_column = StringField(_l("Key column (identifies a row)"), validators=[Length(max=80)],
                             render_kw={"placeholder": "Kode"})


class DatasetEditForm(DatasetMetaForm):
    source_kind = SelectField(_l("Updates come from"), choices=choices(SOURCE_LABELS.items()))
    source_url = StringField(_l("Address of the source"), validators=[Length(max=500)],
                             render_kw={"type": "url", "inputmode": "url",
                                        "placeholder": "https://data.jatengprov.go.id/…"})
    source_resource = StringField(_l("CKAN resource id (when the address does not include it)"),
                                  validators=[Length(max=120)])
    poll_minutes = WholeNumberField(_l("Fetch every … minutes (1440: once a day)"), validators=[Optional()],
                                    default=1440,
                                    render_kw={"inputmode": "numeric"})
    series_every = SelectField(_l("Recurring post"), choices=choices([
        ("", _l("None")), ("week", _l("Every week")), ("month", _l("Every month"))]))
    series_weekday = SelectField(_l("On"), coerce=int,
                                 choices=choices(enumerate(WEEKDAY_LABELS)))
    series_day = WholeNumberField(_l("On day (1–28)"), validators=[Optional()], default=1,
                                  render_kw={"inputmode": "numeric"})
    series_time = WibTimeField(_l("At (WIB)"), validators=[Optional()], format="%H:%M")


class DatasetUploadForm(FlaskForm):
    file = FileField(_l("CSV or Excel (.xlsx) file"),
                     validators=[FileRequired(message=_l("Choose the file to upload."))],
                     render_kw={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm"})


class ApiTokenForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    name = StringField(_l("What uses it"), validators=[REQUIRED, Length(max=120)],
                       render_kw={"placeholder": "Ekspor SIPD"})


# Press alerts ----------------------------------------------------------------------------
class SourceForm(Form):
    """One narasumber: full name and position ("Plh. Kepala Dinas …")."""

    name = StringField(_l("Source's full name"), validators=[Optional(), Length(max=150)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])


class ReleaseForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice("siaran_pers", _l("Press release (siaran pers)")),
        SelectChoice("undangan", _l("Coverage invitation (undangan liputan)"))])
    headline = StringField(_l("Headline"), validators=[REQUIRED, Length(max=250)])
    lead = TextAreaField(_l("Lead paragraph"), validators=[Optional(), Length(max=4000)],
                         render_kw={"rows": 3})
    body = TextAreaField(_l("Body (Markdown)"), validators=[Optional(), Length(max=60000)],
                         render_kw={"rows": 12})
    place = StringField(_l("Place of release"), validators=[Optional(), Length(max=100)], default="Semarang")
    sources = FieldList(FormField(SourceForm), min_entries=3, max_entries=10)
    contact_name = StringField(_l("Contact person"), validators=[REQUIRED, Length(max=150)])
    contact_position = StringField(_l("Contact's position"), validators=[Optional(), Length(max=150)])
    contact_phone = StringField(_l("Contact's phone"), validators=[REQUIRED, Length(max=40)])
    contact_email = StringField(_l("Contact's email"), validators=[Optional(), Length(max=254)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])
    event_starts_at = WibDateTimeField(_l("Event starts (WIB)"), validators=[Optional()],
                                       format="%Y-%m-%dT%H:%M")
    event_ends_at = WibDateTimeField(_l("Event ends (WIB)"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    send_at = WibDateTimeField(_l("Send at (WIB; empty = as soon as it is approved)"),
                               validators=[Optional()],
                               format="%Y-%m-%dT%H:%M")
    embargo_until = WibDateTimeField(_l("Embargo until (WIB; optional)"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    send_before_embargo = BooleanField(_l("Send to journalists before the embargo, marked EMBARGO"))
    embargo_whatsapp = BooleanField(_l("Also by WhatsApp while under embargo"))
    manual_number = StringField(_l("Number typed by hand (from the letter register; empty = automatic)"),
                                validators=[Optional(), Length(max=100)])
    classification = StringField(_l("Classification code (empty = the OPD's default)"),
                                 validators=[Optional(), Length(max=20)])
    topic_ids = SelectMultipleField(_l("Topics"), coerce=int)
    post_id = SelectField(_l("Linked social post (optional)"), coerce=int)
    headline_en = StringField(_l("Headline in English (optional)"), validators=[Optional(), Length(max=250)])
    lead_en = TextAreaField(_l("Lead in English"), validators=[Optional(), Length(max=4000)],
                            render_kw={"rows": 3})
    body_en = TextAreaField(_l("Body in English (Markdown)"), validators=[Optional(), Length(max=60000)],
                            render_kw={"rows": 8})
    correction_note = TextAreaField(_l("What is corrected"), validators=[Optional(), Length(max=2000)],
                                    render_kw={"rows": 2})
    audience_base = RadioField(_l("Who receives it"), default="followers",
                               choices=[SelectChoice("followers", _l("Journalists following this OPD")),
                                        SelectChoice("list", _l("A saved list")),
                                        SelectChoice("all",
                                                     _l("Every journalist in the province's directory"))])
    list_id = SelectField(_l("Saved list"), coerce=int)
    beats = SelectMultipleField(_l("Only these beats"), coerce=int)
    regions = SelectMultipleField(_l("Only these coverage regions"))
    outlet_types = SelectMultipleField(_l("Only these outlet types"))
    dewan_pers = SelectMultipleField(_l("Only these Dewan Pers verifications"))
    channels = SelectMultipleField(_l("Channels"), default=["email", "whatsapp"],
                                   choices=[SelectChoice("email", _l("Email")),
                                            SelectChoice("whatsapp", "WhatsApp")])


class PhotoForm(FlaskForm):
    image = FileField(_l("Photo (JPEG or PNG)"), validators=[FileRequired(message=_l("Choose a file."))])
    caption = StringField(_l("Caption"), validators=[REQUIRED, Length(max=500)])
    credit = StringField(_l("Credit"), validators=[Optional(), Length(max=150)])
    alt_text = StringField(_l("Alt text (describe the photo for blind readers)"),
                           validators=[REQUIRED, Length(max=1000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("PDF file"), validators=[FileRequired(message=_l("Choose a file."))])


# Lapor Gub: the officers' side (choices are filled in by the views) ---------------------------
class ComplaintIntakeForm(FlaskForm):
    """A report taken at the counter or by phone on a citizen's behalf."""

    source = RadioField(_l("Received"), default="counter",
                        choices=[SelectChoice("counter", _l("At the counter")),
                                 SelectChoice("phone", _l("By phone"))])
    type = SelectField(_l("Type"))
    category_id = SelectField(_l("Category"), coerce=int)
    description = TextAreaField(_l("What is reported (up to 4,000 characters)"), render_kw={"rows": 6})
    region_code = SelectField(_l("Kabupaten/kota"))
    kecamatan = StringField(_l("Kecamatan"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address or place"), validators=[Optional(), Length(max=300)])
    latitude = StringField(_l("Latitude (optional)"), validators=[Optional(), Length(max=20)],
                           render_kw={"inputmode": "decimal", "placeholder": "-6.9667"})
    longitude = StringField(_l("Longitude (optional)"), validators=[Optional(), Length(max=20)],
                            render_kw={"inputmode": "decimal", "placeholder": "110.4167"})
    reporter_name = StringField(_l("Reporter's name"), validators=[Optional(), Length(max=150)])
    contact = StringField(_l("Reporter's email or WhatsApp number (optional)"),
                          validators=[Optional(), Length(max=254)], render_kw={"autocomplete": "off"})
    anonymous = BooleanField(_l("Anonymous: hide the name and contact from the public and from the OPD"),
                             default=True)
    confidential = BooleanField(_l("Confidential: the report never appears on a public page"))
    photos = MultipleFileField(_l("Photos (up to 5, JPEG or PNG)"), render_kw={"accept": "image/*"})


class ComplaintReviewForm(FlaskForm):
    public_description = TextAreaField(_l("Text the public may read"), render_kw={"rows": 8})


class ComplaintRejectForm(FlaskForm):
    reason = TextAreaField(_l("Why it is not eligible (the reporter reads this)"),
                           validators=[Length(max=2000)], render_kw={"rows": 3})


class ComplaintDuplicateForm(FlaskForm):
    original = StringField(_l("Tracking ID of the original report"), validators=[Length(max=30)],
                           render_kw={"placeholder": "LG-XXXX-XXXX", "autocomplete": "off"})


class ComplaintHandOffForm(FlaskForm):
    to = SelectField(_l("Passed to"))
    reference = StringField(_l("Reference there (optional)"), validators=[Optional(), Length(max=100)])
    explanation = TextAreaField(_l("Explanation to the reporter"), validators=[Length(max=2000)],
                                render_kw={"rows": 3})


class ComplaintDisposeForm(FlaskForm):
    opd_id = SelectField(_l("OPD in charge"), coerce=int)
    note = TextAreaField(_l("Note to the OPD (staff only)"), validators=[Optional(), Length(max=1000)],
                         render_kw={"rows": 2})


class ComplaintAssignForm(FlaskForm):
    pic_user_id = SelectField(_l("Officer in charge (PIC)"), coerce=int)


class ComplaintNoteForm(FlaskForm):
    note_text = TextAreaField(_l("Internal note (staff only, never sent to the reporter)"),
                              validators=[Length(max=4000)], render_kw={"rows": 3})


class ComplaintAnswerForm(FlaskForm):
    template_id = SelectField(_l("Answer template"), coerce=int)
    answer_text = TextAreaField(_l("Answer (the reporter reads it)"), validators=[Length(max=8000)],
                                render_kw={"rows": 6})
    attachments = MultipleFileField(_l("Attachments (PDF or photos, optional)"),
                                    render_kw={"accept": "application/pdf,image/jpeg,image/png"})
