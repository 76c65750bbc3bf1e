"""What a journalist opens from their own signed link (no login), under /pers:

- ``/pers/berhenti/<token>`` one-click unsubscribe (RFC 8058). GET shows two buttons (this OPD,
  all OPDs); POST, authenticated by the token alone (no cookie, no CSRF token: mail clients
  post ``List-Unsubscribe=One-Click`` themselves), does it and confirms once on the channel
  the link came from.
- ``/pers/saya/<token>`` the personal page: the first name and the unsubscribe buttons at
  once; everything else (channels, beats and OPDs, what Pressroom holds, asking for erasure)
  after a one-time code sent to the journalist's own email or WhatsApp, which marks this
  browser's session verified for that journalist for 30 minutes.
- ``/pers/persetujuan/<token>`` the answer to a consent request.
- ``/pers/hadir/<token>`` the "hadir" reply to a coverage invitation.

A forged or mangled token is a 404; an erased journalist gets a neutral page and nothing
changes. The rules live in ``services/journalist_self.py``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as browser
from flask_babel import get_locale
from sqlalchemy import select

from pressroom import clock, db, formatting
from pressroom.db import writes_on_get
from pressroom.i18n import _l
from pressroom.models import Beat, Journalist, Opd, PressRelease
from pressroom.services import ValidationError, journalist_self, press_links
from pressroom.services.contact_points import display_phone
from pressroom.services.press_links import LinkClaims
from pressroom.web.forms import show_errors
from pressroom.web.security import token_authenticated

bp = Blueprint("press_self", __name__)

#: The browser-session key remembering a verified code: {"j": journalist id, "until": epoch, "ch": channel}.
VERIFIED_KEY = "press_self_verified"
CHANNEL_LABELS = {"email": _l("Email"), "whatsapp": _l("WhatsApp")}


CONSENT_LABELS = {"awaiting": _l("awaiting consent"), "given": _l("consent given"),
                  "withdrawn": _l("consent withdrawn")}


@bp.context_processor
def _labels():
    return {"CHANNEL_LABELS": {key: str(text) for key, text in CHANNEL_LABELS.items()},
            "display_phone": display_phone}


def _when(value: str | None) -> str:
    """An ISO timestamp from the access export, as people read it (WIB)."""
    if not value:
        return "—"
    try:
        return formatting.wib(datetime.fromisoformat(value), _lang())
    except ValueError:
        return value


def _lang() -> str:
    return str(get_locale() or "id")


def _claims(purpose: str, token: str) -> LinkClaims:
    claims = press_links.read_token(current_app.config["SECRET_KEY"], purpose, token)
    if claims is None:
        abort(404)
    return claims


def _journalist(claims: LinkClaims) -> Journalist:
    return db.session.get(Journalist, claims.journalist_id) or abort(404)


def _gone():
    """The neutral page for an erased contact: nothing is held, nothing changes."""
    return render_template("press_self/gone.html")


def _opd(opd_id: int | None) -> Opd | None:
    return db.session.get(Opd, opd_id) if opd_id is not None else None


# One-click unsubscribe -------------------------------------------------------------------------
@bp.get("/pers/berhenti/<token>")
def unsubscribe_page(token: str):
    claims = _claims("unsubscribe", token)
    journalist = _journalist(claims)
    if journalist.status == "erased":
        return _gone()
    return render_template("press_self/unsubscribe.html", first_name=journalist_self.first_name(journalist),
                           opd=_opd(claims.opd_id), unsubscribe_token=token)


@bp.post("/pers/berhenti/<token>")
@token_authenticated
def unsubscribe(token: str):
    """RFC 8058 one-click (body ``List-Unsubscribe=One-Click``) or the page's buttons
    (``scope=opd|all``). Without a scope: this OPD when the link names one, else all."""
    claims = _claims("unsubscribe", token)
    journalist = _journalist(claims)
    if journalist.status == "erased":
        return _gone()
    scope = request.form.get("scope")
    if scope not in ("opd", "all"):
        scope = "opd" if claims.opd_id is not None else "all"
    opd = None
    if scope == "opd":
        if claims.opd_id is None:
            abort(400)
        opd = _opd(claims.opd_id) or abort(404)
    changed = journalist_self.unsubscribe(db.session, journalist, scope=scope, opd=opd,
                                          channel=claims.channel, config=current_app.config, lang=_lang())
    db.session.commit()
    self_token = press_links.make_token(current_app.config["SECRET_KEY"], "self", LinkClaims(
        journalist_id=journalist.id, opd_id=claims.opd_id, channel=claims.channel))
    return render_template("press_self/unsubscribed.html", scope=scope, opd=opd, changed=changed,
                           self_token=self_token)


# The personal page ------------------------------------------------------------------------------
def _verified(journalist: Journalist) -> dict | None:
    """The verification this browser holds for ``journalist``, if still valid."""
    data = browser.get(VERIFIED_KEY)
    if (not isinstance(data, dict) or data.get("j") != journalist.id
            or data.get("until", 0) <= clock.now().timestamp()):
        return None
    return data


def _page(token: str):
    """The journalist a personal link is for, and its claims (404 for a bad token)."""
    claims = _claims("self", token)
    return claims, _journalist(claims)


def _require_verified(token: str, journalist: Journalist):
    """None when verified; otherwise where to send the visitor (nothing personal shown)."""
    if _verified(journalist) is not None:
        return None
    flash(_l("For your protection, first ask for a one-time code and enter it."), "warning")
    return redirect(url_for("press_self.home", token=token) + "#kode")


@bp.get("/pers/saya/<token>")
def home(token: str):
    claims, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    verified = _verified(journalist) is not None
    return render_template(
        "press_self/home.html",
        token=token,
        first_name=journalist_self.first_name(journalist),
        verified=verified,
        opd=_opd(claims.opd_id),
        unsubscribe_token=journalist_self.unsubscribe_token(current_app.config["SECRET_KEY"], claims),
        code_channels=journalist_self.code_channels(journalist),
        suggested=claims.channel,
        code_pending=not verified and journalist_self.active_code(db.session, journalist) is not None,
    )


@bp.post("/pers/saya/<token>/kode")
def send_code(token: str):
    _claims_, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    channel = request.form.get("channel") or ""
    try:
        journalist_self.request_code(db.session, journalist, channel, config=current_app.config, lang=_lang())
    except ValidationError as exc:
        show_errors(exc)
    else:
        db.session.commit()
        flash(_l("We sent a 6-digit code by %(channel)s. It is valid for 10 minutes.",
                 channel=CHANNEL_LABELS[channel]), "success")
    return redirect(url_for("press_self.home", token=token) + "#kode")


@bp.post("/pers/saya/<token>/verifikasi")
def verify(token: str):
    _claims_, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    check = journalist_self.verify_code(db.session, journalist, request.form.get("code") or "",
                                        secret=current_app.config["SECRET_KEY"])
    db.session.commit()  # a wrong try counts
    if check.ok:
        until = clock.now() + journalist_self.VERIFIED_FOR
        browser[VERIFIED_KEY] = {"j": journalist.id, "until": until.timestamp(), "ch": check.channel}
        flash(_l("Code accepted. This page stays open for you for 30 minutes."), "success")
        return redirect(url_for("press_self.home", token=token))
    messages = {
        "wrong": _l("That code is not right. %(left)s tries left.", left=check.tries_left),
        "locked": _l("Too many wrong tries: this code no longer works. Ask for a new code."),
        "expired": _l("This code has expired. Ask for a new code."),
        "none": _l("There is no code to check. Ask for a code first."),
    }
    flash(messages[check.outcome], "error")
    return redirect(url_for("press_self.home", token=token) + "#kode")


@bp.post("/pers/saya/<token>/keluar")
def sign_out(token: str):
    _page(token)
    browser.pop(VERIFIED_KEY, None)
    flash(_l("Closed. Opening this page again asks for a new code."), "success")
    return redirect(url_for("press_self.home", token=token))


def _list_of_ints(name: str) -> list[int]:
    try:
        return [int(value) for value in request.form.getlist(name)]
    except ValueError:
        abort(400)


@bp.route("/pers/saya/<token>/preferensi", methods=["GET", "POST"])
def preferences(token: str):
    _claims_, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    if (refused := _require_verified(token, journalist)) is not None:
        return refused
    status = 200
    if request.method == "POST":
        channels = [c for c in (request.form.get("first_channel"), request.form.get("second_channel")) if c]
        try:
            changed = journalist_self.update_preferences(
                db.session, journalist, preferred_channels=channels, beat_ids=_list_of_ints("beat_ids"),
                opd_ids=_list_of_ints("opd_ids"), consent_channels=request.form.getlist("consent"),
                verified_by=(_verified(journalist) or {}).get("ch"))
        except ValidationError as exc:
            show_errors(exc)
            status = 400
        else:
            db.session.commit()
            flash(_l("Your choices were saved.") if changed else _l("Nothing changed."), "success")
            return redirect(url_for("press_self.preferences", token=token))
    beats = db.session.scalars(select(Beat).where(Beat.is_active.is_(True)).order_by(Beat.name)).all()
    opds = db.session.scalars(select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.name)).all()
    return render_template(
        "press_self/preferences.html",
        token=token,
        first_name=journalist_self.first_name(journalist),
        j=journalist,
        prefs=list(journalist.preferred_channels or []) + ["", ""],
        beats=beats,
        my_beats={b.id for b in journalist.beats},
        opds=opds,
        receiving=journalist_self.receiving_opd_ids(journalist),
        consent_channels=journalist_self.reachable_channels(journalist),
    ), status


@bp.get("/pers/saya/<token>/data")
@writes_on_get
def access(token: str):
    _claims_, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    if (refused := _require_verified(token, journalist)) is not None:
        return refused
    export = journalist_self.access_export(db.session, journalist, fmt="page")
    db.session.commit()
    return render_template("press_self/access.html", token=token, data=export, when=_when,
                           consent_labels={key: str(text) for key, text in CONSENT_LABELS.items()})


@bp.get("/pers/saya/<token>/data.json")
@writes_on_get
def access_json(token: str):
    _claims_, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    if (refused := _require_verified(token, journalist)) is not None:
        return refused
    export = journalist_self.access_export(db.session, journalist, fmt="json")
    db.session.commit()
    return Response(json.dumps(export, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="data-saya-pressroom.json"',
                             "Cache-Control": "no-store"})


@bp.route("/pers/saya/<token>/hapus", methods=["GET", "POST"])
def erasure(token: str):
    _claims_, journalist = _page(token)
    if journalist.status == "erased":
        return _gone()
    if (refused := _require_verified(token, journalist)) is not None:
        return refused
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            flash(_l("Tick the box to confirm that you want your data erased."), "error")
            return redirect(url_for("press_self.erasure", token=token))
        try:
            _request, created = journalist_self.request_erasure(db.session, journalist)
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            if created:
                flash(_l("Your request was received."), "success")
        return redirect(url_for("press_self.erasure", token=token))
    return render_template("press_self/erasure.html", token=token,
                           first_name=journalist_self.first_name(journalist),
                           pending=journalist_self.open_erasure_request(db.session, journalist))


# Consent requests --------------------------------------------------------------------------------
def _consent_request(token: str):
    claims = _claims("consent", token)
    journalist = _journalist(claims)
    consent_request = journalist_self.load_consent_request(db.session, claims) or abort(404)
    return journalist, consent_request


@bp.get("/pers/persetujuan/<token>")
def consent(token: str):
    journalist, consent_request = _consent_request(token)
    if journalist.status == "erased":
        return _gone()
    return _consent_page(token, journalist, consent_request, just_answered=False)


@bp.post("/pers/persetujuan/<token>")
def consent_answer(token: str):
    journalist, consent_request = _consent_request(token)
    if journalist.status == "erased":
        return _gone()
    answer = request.form.get("answer")
    if answer not in ("yes", "no"):
        abort(400)
    changed = journalist_self.answer_consent_request(db.session, journalist, consent_request,
                                                     agree=answer == "yes")
    db.session.commit()
    if not changed:
        flash(_l("You had already answered this request; your first answer stands."), "info")
    return _consent_page(token, journalist, consent_request, just_answered=changed)


def _consent_page(token: str, journalist: Journalist, consent_request, *, just_answered: bool):
    return render_template("press_self/consent.html", token=token, req=consent_request,
                           opd=_opd(consent_request.opd_id), just_answered=just_answered,
                           first_name=journalist_self.first_name(journalist))


# "Hadir" replies ---------------------------------------------------------------------------------
def _invitation(token: str):
    claims = _claims("rsvp", token)
    journalist = _journalist(claims)
    release = db.session.get(PressRelease, claims.release_id) if claims.release_id is not None else None
    if release is None or release.kind != "undangan":
        abort(404)
    return journalist, release


@bp.get("/pers/hadir/<token>")
def rsvp(token: str):
    journalist, release = _invitation(token)
    if journalist.status == "erased":
        return _gone()
    return render_template("press_self/rsvp.html", token=token, release=release,
                           first_name=journalist_self.first_name(journalist),
                           reply=journalist_self.invitation_reply(db.session, release, journalist),
                           is_open=journalist_self.invitation_open(release))


@bp.post("/pers/hadir/<token>")
def rsvp_answer(token: str):
    journalist, release = _invitation(token)
    if journalist.status == "erased":
        return _gone()
    answer = request.form.get("attending")
    if answer not in ("yes", "no"):
        abort(400)
    try:
        journalist_self.reply_to_invitation(db.session, journalist, release, attending=answer == "yes")
    except ValidationError as exc:
        show_errors(exc)
    else:
        db.session.commit()
        flash(_l("Thank you: your answer was recorded.") if answer == "yes"
              else _l("Thank you: we noted that you will not attend."), "success")
    return redirect(url_for("press_self.rsvp", token=token))


def time_left(delta: timedelta) -> str:
    """How long until (or since) an erasure deadline, for the admin list."""
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    if delta.total_seconds() <= 0:
        return str(_l("overdue by %(hours)s h %(minutes)s min", hours=hours, minutes=minutes))
    return str(_l("%(hours)s h %(minutes)s min left", hours=hours, minutes=minutes))
