"""Posts under /app/posts: the editor, the approval queue (built for a phone), the post page
with its activity trail and deliveries, and the sandbox feed."""

from __future__ import annotations

from datetime import date, timedelta

from babel import dates as babel_dates
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from pressroom import clock, db, formatting
from pressroom.i18n import _l
from pressroom.models import Delivery, Opd, Post, PostComment, PostImage, SocialAccount, User
from pressroom.services import ValidationError, approvals, outbox, posts
from pressroom.services.calendar import Period, build_calendar
from pressroom.services.policy import can, visible_opd_ids, working_opd_ids
from pressroom.storage import get_storage
from pressroom.web.forms import (
    ConfirmForm,
    DecisionForm,
    ImageForm,
    PostForm,
    attempt,
    choices,
    flash_form_errors,
    show_errors,
)
from pressroom.web.security import permission_required

bp = Blueprint("posts", __name__, url_prefix="/app/posts")

STATE_LABELS = {
    "draft": _l("draft"),
    "submitted": _l("waiting for approval"),
    "approved": _l("approved"),
    "rejected": _l("returned"),
    "withdrawn": _l("withdrawn"),
    "held": _l("held"),
    "missed": _l("missed"),
}
OUTCOME_LABELS = {
    "none": "",
    "scheduled": _l("scheduled"),
    "sending": _l("sending"),
    "published": _l("published"),
    "partially_published": _l("partially published"),
    "failed": _l("failed"),
    "needs_check": _l("needs a person's check"),
}
DELIVERY_LABELS = {
    "due": _l("queued"),
    "claimed": _l("sending"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "unknown": _l("unknown — check the platform"),
    "cancelled": _l("cancelled"),
}
PLATFORM_LABELS = {"x": "X", "facebook": "Facebook", "instagram": "Instagram", "telegram": "Telegram"}
#: Short platform marks for tight places (calendar, preview); the full name goes alongside for screen readers.
PLATFORM_MARKS = {"x": "X", "facebook": "FB", "instagram": "IG", "telegram": "TG"}
#: The editor's live preview, one pane per platform: the variant field it shows (None: only the
#: caption) and the limits posts.platform_problems checks. X weighs characters as posts.x_length
#: does: 1 inside these code point ranges, 2 outside. Telegram's 1,024 is a photo caption's; a
#: post without images goes out as a text message, which Telegram caps at 4,096.
PREVIEWS = (
    {"platform": "x", "variant": "variant_x", "limit": 280, "url_length": 23, "max_images": 4,
     "light": " ".join(f"{low}-{high}" for low, high in posts._X_LIGHT_RANGES)},
    {"platform": "facebook", "variant": None, "limit": 63206},
    {"platform": "instagram", "variant": "variant_instagram", "limit": 2200, "hashtags": 30,
     "needs_image": True},
    {"platform": "telegram", "variant": "variant_telegram", "limit": 1024, "text_limit": 4096},
)
#: A calendar entry's status: a workflow state, or an approved post's sending outcome.
CALENDAR_LABELS = {**STATE_LABELS, **{key: label for key, label in OUTCOME_LABELS.items() if label}}


@bp.context_processor
def _labels():
    return {
        "STATE_LABELS": STATE_LABELS,
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "DELIVERY_LABELS": DELIVERY_LABELS,
        "PLATFORM_LABELS": PLATFORM_LABELS,
        "PLATFORM_MARKS": PLATFORM_MARKS,
        "CALENDAR_LABELS": CALENDAR_LABELS,
        "date_text": _date_text,
    }


def _date_text(value: date, pattern: str) -> str:
    """A calendar date in the reader's language (``Sen, 23 Nov``, ``November 2026``)."""
    from flask_babel import get_locale

    return babel_dates.format_date(value, pattern, locale=formatting.LOCALES.get(str(get_locale()), "id_ID"))


def _load(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def _allow_hosts() -> frozenset[str]:
    return frozenset(
        h.strip() for h in current_app.config.get("INSTAGRAM_URL_ALLOW", "").split(",") if h.strip()
    )


@bp.get("/")
@permission_required("app.enter")
def index():
    visible = visible_opd_ids(current_user)  # None: every OPD (province-wide roles)
    query = select(Post).order_by(Post.scheduled_at.desc().nulls_last(), Post.id.desc()).limit(100)
    if visible is not None:
        query = query.where(Post.opd_id.in_(visible or {0}))
    rows = db.session.scalars(query).all()
    by_post: dict[int, list[Delivery]] = {p.id: [] for p in rows}
    for delivery in db.session.scalars(select(Delivery).where(
            Delivery.subject_type == posts.SUBJECT, Delivery.subject_id.in_(list(by_post) or [0]))):
        by_post[delivery.subject_id].append(delivery)
    outcomes = {post_id: outbox.outcome(found) for post_id, found in by_post.items()}
    return render_template("posts/index.html", posts=rows, outcomes=outcomes, queue=_queue())


def _queue() -> list[Post]:
    """Posts waiting for a decision this user may take."""
    waiting = db.session.scalars(select(Post).where(Post.state == "submitted").order_by(Post.scheduled_at))
    mine = []
    for post in waiting:
        try:
            approvals.check_can_decide(db.session, current_user, post, posts.SUBJECT)
        except ValidationError:
            continue
        mine.append(post)
    return mine


@bp.get("/persetujuan")
@permission_required("app.enter")
def queue():
    return render_template("posts/queue.html", queue=_queue(), decision_form=DecisionForm())


@bp.get("/kalender", endpoint="calendar")
@permission_required("app.enter")
def show_calendar():
    """Month (``?bulan=2026-11``) or ISO week (``?minggu=2026-W48``), optionally one OPD (``?opd=``)."""
    today = clock.to_wib(clock.now()).date()
    kind = "week" if "minggu" in request.args else "month"
    notices = []
    try:
        raw = request.args.get("minggu" if kind == "week" else "bulan")
        period = Period.parse(kind, raw) if raw is not None else Period.containing(kind, today)
    except ValueError:
        notices.append(
            _l("“%(value)s” is not a week we can show (write it like 2026-W48); this is the current week.",
               value=raw[:40])
            if kind == "week" else
            _l("“%(value)s” is not a month we can show (write it like 2026-11); this is the current month.",
               value=raw[:40]))
        period = Period.containing(kind, today)
    visible = visible_opd_ids(current_user)
    opd_query = select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name)
    if visible is not None:
        opd_query = opd_query.where(Opd.id.in_(visible or {0}))
    opds = db.session.scalars(opd_query).all()
    chosen = None
    if request.args.get("opd"):
        chosen = next((o for o in opds if str(o.id) == request.args["opd"].strip()), None)
        if chosen is None or not can(current_user, "opd.view", chosen):
            notices.append(_l("That OPD is not one you can see; showing every OPD you can."))
            chosen = None
    calendar = build_calendar(db.session, period, visible, opd_id=chosen.id if chosen else None)
    opd_id = chosen.id if chosen else None
    in_view = today if period.start <= today < period.end else period.middle
    links = {
        "previous": _calendar_url(period.previous(), opd_id),
        "next": _calendar_url(period.following(), opd_id),
        "today": _calendar_url(Period.containing(kind, today), opd_id),
        "month": _calendar_url(Period.containing("month", in_view), opd_id),
        "week": _calendar_url(_period_or_none("week", in_view), opd_id),
    }
    return render_template("posts/calendar.html", cal=calendar, period=period, today=today, opds=opds,
                           chosen=chosen, notices=notices, links=links,
                           week_url=lambda day: _calendar_url(_period_or_none("week", day), opd_id))


def _period_or_none(kind: str, day: date) -> Period | None:
    try:
        return Period.containing(kind, day)
    except ValueError:  # a week of a year outside the calendar's range
        return None


def _calendar_url(period: Period | None, opd_id: int | None) -> str | None:
    if period is None:
        return None
    return url_for("posts.calendar", **{"minggu" if period.kind == "week" else "bulan": period.key},
                   opd=opd_id)


def _form(post: Post | None = None) -> PostForm:
    form = PostForm(obj=None)
    opd_ids = working_opd_ids(current_user)
    opds = db.session.scalars(select(Opd).where(Opd.id.in_(opd_ids or {0})).order_by(Opd.short_name)).all()
    form.opd_id.choices = choices((o.id, o.short_name) for o in opds)
    opd_id = (
        post.opd_id
        if post
        else (
            request.form.get("opd_id", type=int)
            or request.args.get("opd", type=int)
            or (opds[0].id if opds else 0)
        )
    )
    accounts = db.session.scalars(
        select(SocialAccount)
        .where(SocialAccount.opd_id == opd_id, SocialAccount.is_active.is_(True))
        .order_by(SocialAccount.platform)
    ).all()
    # Each option names its platform and account, for the editor's live preview (static/js/app.js).
    form.account_ids.choices = [
        SelectChoice(
            a.id,
            f"{PLATFORM_LABELS.get(a.platform, a.platform)} · {a.name}"
            + (" (sandbox)" if a.is_sandbox else ""),
            render_kw={"data-platform": a.platform, "data-name": a.name},
        )
        for a in accounts
    ]
    if request.method == "GET":
        form.opd_id.data = opd_id
        if post is not None:
            form.caption.data = post.caption
            form.variant_x.data = post.caption_variants.get("x", "")
            form.variant_instagram.data = post.caption_variants.get("instagram", "")
            form.variant_telegram.data = post.caption_variants.get("telegram", "")
            form.scheduled_at.data = (
                clock.to_wib(post.scheduled_at).replace(tzinfo=None) if post.scheduled_at else None
            )
            form.account_ids.data = [t.account_id for t in post.targets]
        else:
            start = clock.to_wib(clock.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
            form.scheduled_at.data = start.replace(tzinfo=None)
            form.account_ids.data = [a.id for a in accounts]
    return form


def _values(form: PostForm) -> dict:
    return {
        "caption": form.caption.data or "",
        "variants": {
            "x": form.variant_x.data or "",
            "instagram": form.variant_instagram.data or "",
            "telegram": form.variant_telegram.data or "",
        },
        "scheduled_at": clock.from_wib(form.scheduled_at.data) if form.scheduled_at.data else None,
        "account_ids": list(form.account_ids.data or []),
    }


@bp.route("/baru", methods=["GET", "POST"])
@permission_required("app.enter")
def new():
    form = _form()
    if not form.opd_id.choices:
        abort(403)
    if form.validate_on_submit():
        opd = db.session.get(Opd, form.opd_id.data) or abort(400)
        if not can(current_user, "post.edit", opd):
            abort(403)
        try:
            post = posts.create_post(db.session, current_user, opd.id, **_values(form))
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            flash(_l("Draft saved. Add images, then submit it for approval."), "success")
            return redirect(url_for("posts.detail", post_id=post.id))
    return render_template("posts/form.html", form=form, post=None, previews=PREVIEWS), (
        400 if form.errors else 200)


@bp.route("/<int:post_id>/ubah", methods=["GET", "POST"])
@permission_required("post.edit", lambda post_id: _load(post_id))
def edit(post_id: int, obj: Post):
    form = _form(obj)
    form.opd_id.validators = []
    if request.method == "POST":
        form.opd_id.data = obj.opd_id
    if form.validate_on_submit():
        try:
            changed = posts.update_post(db.session, current_user, obj, **_values(form))
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            if changed and obj.state == "draft" and obj.state_reason:
                flash(_l("Saved. The approval was cleared: submit it again."), "warning")
            else:
                flash(_l("Changes saved."), "success")
            return redirect(url_for("posts.detail", post_id=obj.id))
    return render_template("posts/form.html", form=form, post=obj, previews=PREVIEWS), (
        400 if form.errors else 200)


@bp.get("/<int:post_id>")
@permission_required("post.view", lambda post_id: _load(post_id))
def detail(post_id: int, obj: Post):
    deliveries = posts.deliveries_of(db.session, obj)
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(SocialAccount).where(
                SocialAccount.id.in_({d.account_id for d in deliveries if d.account_id} or {0})
            )
        )
    }
    trail = approvals.decisions(db.session, posts.SUBJECT, obj.id)
    comments = db.session.scalars(
        select(PostComment).where(PostComment.post_id == obj.id).order_by(PostComment.id)
    ).all()
    people = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_(
                    {d.decided_by_id for d in trail} | {c.author_id for c in comments} | {obj.author_id}
                )
            )
        )
    }
    try:
        approvals.check_can_decide(db.session, current_user, obj, posts.SUBJECT)
        can_decide = True
    except ValidationError:
        can_decide = False
    problems = posts.platform_problems(
        obj, public_url=current_app.config["PUBLIC_URL"], allow_hosts=_allow_hosts()
    )
    started = posts.sending_started(deliveries)
    return render_template(
        "posts/detail.html",
        post=obj,
        deliveries=deliveries,
        accounts=accounts,
        trail=trail,
        comments=comments,
        people=people,
        can_edit=can(current_user, "post.edit", obj) and not started,
        started=started,
        can_resolve=can(current_user, "post.edit", obj),
        can_decide=can_decide,
        problems=problems,
        outcome=outbox.outcome(deliveries),
        image_form=ImageForm(),
        decision_form=DecisionForm(),
        csrf_form=ConfirmForm(),
    )


def _back(post: Post):
    return redirect(url_for("posts.detail", post_id=post.id))


@bp.post("/<int:post_id>/gambar")
@permission_required("post.edit", lambda post_id: _load(post_id))
def add_image(post_id: int, obj: Post):
    form = ImageForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)
    attempt(lambda: posts.add_image(db.session, current_user, get_storage(), obj, form.image.data.read(),
                                    alt_text=form.alt_text.data), _l("Image added."))
    return _back(obj)


@bp.post("/<int:post_id>/gambar/<int:image_id>/hapus")
@permission_required("post.edit", lambda post_id, image_id: _load(post_id))
def remove_image(post_id: int, image_id: int, obj: Post):
    image = db.session.get(PostImage, image_id)
    if image is None or image.post_id != obj.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: posts.remove_image(db.session, current_user, obj, image))
    return _back(obj)


@bp.post("/<int:post_id>/ajukan")
@permission_required("post.edit", lambda post_id: _load(post_id))
def submit(post_id: int, obj: Post):
    if ConfirmForm().validate_on_submit():
        problems = posts.platform_problems(
            obj, public_url=current_app.config["PUBLIC_URL"], allow_hosts=_allow_hosts()
        )
        if problems:
            for problem in problems:
                flash(problem, "error")
            return _back(obj)
        attempt(lambda: posts.submit_post(db.session, current_user, obj),
                _l("Submitted: the approver has been notified."))
    return _back(obj)


@bp.post("/<int:post_id>/setujui")
@permission_required("app.enter")
def approve(post_id: int):
    post = _load(post_id) or abort(404)
    if not can(current_user, "opd.approve", post.opd_id):
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            final = posts.approve_post(
                db.session,
                current_user,
                post,
                comment=form.comment.data or "",
                public_url=current_app.config["PUBLIC_URL"],
                allow_hosts=_allow_hosts(),
                missed_window=timedelta(minutes=current_app.config["MISSED_WINDOW_MINUTES"]),
            )
        except ValidationError as exc:
            db.session.commit() if post.state == "missed" else db.session.rollback()
            for message in exc.errors.values():
                flash(message, "error")
        else:
            db.session.commit()
            flash(
                _l("Approved: it will be published at %(when)s.", when=_when(post))
                if final
                else _l("Approved; the next step's approver has been notified."),
                "success",
            )
    if request.form.get("back") == "queue":
        return redirect(url_for("posts.queue"))
    return _back(post)


def _when(post: Post) -> str:
    from flask_babel import get_locale

    from pressroom import formatting

    return formatting.wib(post.scheduled_at, str(get_locale()))


@bp.post("/<int:post_id>/tolak")
@permission_required("app.enter")
def reject(post_id: int):
    post = _load(post_id) or abort(404)
    if not can(current_user, "opd.approve", post.opd_id):
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit():
        attempt(lambda: posts.reject_post(db.session, current_user, post, comment=form.comment.data or ""),
                _l("Returned to the author with your comment."))
    if request.form.get("back") == "queue":
        return redirect(url_for("posts.queue"))
    return _back(post)


@bp.post("/<int:post_id>/tarik")
@permission_required("post.edit", lambda post_id: _load(post_id))
def withdraw(post_id: int, obj: Post):
    if ConfirmForm().validate_on_submit():
        attempt(lambda: posts.withdraw_post(db.session, current_user, obj),
                _l("Withdrawn: nothing will be published."))
    return _back(obj)


@bp.post("/<int:post_id>/komentar")
@permission_required("post.view", lambda post_id: _load(post_id))
def comment(post_id: int, obj: Post):
    form = DecisionForm()
    if form.validate_on_submit():
        attempt(lambda: posts.comment_on(db.session, current_user, obj, form.comment.data or ""))
    return _back(obj)


@bp.post("/<int:post_id>/kiriman/<int:delivery_id>/periksa")
@permission_required("post.edit", lambda post_id, delivery_id: _load(post_id))
def resolve(post_id: int, delivery_id: int, obj: Post):
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.subject_type != "post" or delivery.subject_id != obj.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        outbox.resolve_unknown(
            db.session,
            current_user,
            delivery,
            happened=request.form.get("happened") == "yes",
            external_url=(request.form.get("url") or "").strip()[:500] or None,
        )
        db.session.commit()
        flash(_l("Recorded."), "success")
    return _back(obj)


@bp.get("/sandbox")
@permission_required("sandbox.view")
def sandbox():
    from pressroom.channels.registry import sandbox_path
    from pressroom.channels.sandbox import read_entries

    entries = read_entries(sandbox_path(current_app.config), limit=100)
    return render_template("posts/sandbox.html", entries=entries)


@bp.post("/<int:post_id>/cabut")
@permission_required("app.enter")
def retract(post_id: int):
    """Delete a published post on each platform that allows it; say plainly where not."""
    post = _load(post_id) or abort(404)
    if not can(current_user, "opd.approve", post.opd_id):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        return _back(post)
    from jobs.dispatch import channel_for

    targets = posts.retraction_targets(db.session, post)
    work = []
    for delivery in targets:
        account = db.session.get(SocialAccount, delivery.account_id) if delivery.account_id else None
        platform = account.platform if account else delivery.channel
        work.append((delivery.id, delivery.external_id, platform, account))
    db.session.rollback()  # no transaction is held while the platforms are called
    outcomes: dict[int, tuple[bool, str]] = {}
    for delivery_id, external_id, platform, account in work:
        if platform not in posts.RETRACTABLE:
            outcomes[delivery_id] = (
                False,
                str(
                    _l(
                        "%(platform)s does not allow deleting through its API: remove it in the app.",
                        platform=PLATFORM_LABELS.get(platform, platform),
                    )
                ),
            )
            continue
        delivery = db.session.get(Delivery, delivery_id)
        channel, credentials = channel_for(current_app, delivery, account)
        db.session.rollback()
        result = channel.retract(credentials, external_id or "")
        outcomes[delivery_id] = (
            result.status == "sent",
            str(_l("deleted")) if result.status == "sent" else (result.reason or str(_l("not deleted"))),
        )
    post = _load(post_id)
    posts.record_retraction(db.session, current_user, post, outcomes)
    db.session.commit()
    for _delivery_id, (ok, note) in outcomes.items():
        flash(note, "success" if ok else "warning")
    return _back(post)


@bp.post("/<int:post_id>/ralat")
@permission_required("post.edit", lambda post_id: _load(post_id))
def correct(post_id: int, obj: Post):
    if ConfirmForm().validate_on_submit():
        try:
            correction = posts.start_correction(db.session, current_user, obj)
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            flash(
                _l("A correction draft was made; it links to the original. Edit it and submit it."), "success"
            )
            return redirect(url_for("posts.edit", post_id=correction.id))
    return _back(obj)
