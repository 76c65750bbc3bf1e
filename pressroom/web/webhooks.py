"""Webhooks from WhatsApp providers: the Cloud API's subscription handshake, its signed
delivery statuses and inbound messages, and the gateways' (Fonnte, Wablas) status callbacks
and incoming-message webhooks.

None of these is ever authenticated by the staff cookie: the Cloud API signs its body
(``X-Hub-Signature-256``, an HMAC-SHA256 with the app secret ``WHATSAPP_APP_SECRET``); the
gateways sign nothing, so their callback URL carries a shared secret
(``WHATSAPP_GATEWAY_WEBHOOK_SECRET``, as ``?secret=…`` or the ``X-Webhook-Secret`` header).
They are exempt from CSRF through ``security.token_authenticated``. Anything not
authenticated is refused with 403 and changes nothing. What a status means for a press
recipient is services.provider_feedback's business; these views only check and hand over.

Inbound messages (Lapor Gub: a citizen's report or a follow-up, services.complaint_whatsapp)
come on the Cloud API webhook with the statuses (same signature), and from the gateways on
their own URLs, ``/webhooks/whatsapp/fonnte/masuk`` and ``/webhooks/whatsapp/wablas/masuk``
(the gateway's "incoming message" webhook setting; same shared secret). The status URLs keep
ignoring them: a gateway's status and message bodies are told apart by the URL they come to,
never by guessing from their fields. Photos are fetched before the database transaction
begins, so no lock is held while a provider is slow.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from pressroom import db
from pressroom.channels.wa_gateway import parse_fonnte_inbound, parse_wablas_inbound, verify_shared_secret
from pressroom.channels.whatsapp import (
    InboundMessage,
    StatusEvent,
    parse_webhook,
    verify_signature,
    verify_subscription,
)
from pressroom.services import complaint_whatsapp, provider_feedback
from pressroom.web.security import token_authenticated

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)

SECRET_PARAM = "secret"
SECRET_HEADER = "X-Webhook-Secret"


def _answer(text: str, status: int) -> Response:
    # Plain and short: the caller is a machine, and an error page would say nothing to it.
    return Response(text, status=status, mimetype="text/plain")


@bp.get("/whatsapp")
@token_authenticated
def whatsapp_subscribe():
    """Meta's handshake when the webhook URL is saved: echo ``hub.challenge`` for our token."""
    challenge = verify_subscription(request.args, current_app.config.get("WHATSAPP_VERIFY_TOKEN"))
    if challenge is None:
        if not current_app.config.get("WHATSAPP_VERIFY_TOKEN"):
            log.error("WhatsApp webhook handshake refused: PRESSROOM_WHATSAPP_VERIFY_TOKEN is not set")
        return _answer("forbidden", 403)
    return _answer(challenge, 200)


@bp.post("/whatsapp")
@token_authenticated
def whatsapp_events():
    secret = current_app.config.get("WHATSAPP_APP_SECRET")
    body = request.get_data(cache=False)
    if not secret:
        log.error("WhatsApp webhook refused: PRESSROOM_WHATSAPP_APP_SECRET is not set, so no signature "
                  "can be checked")
        return _answer("forbidden", 403)
    if not verify_signature(secret, body, request.headers.get("X-Hub-Signature-256")):
        log.warning("WhatsApp webhook refused: missing or wrong X-Hub-Signature-256 (from %s)",
                    request.remote_addr)
        return _answer("forbidden", 403)
    try:
        events = parse_webhook(body)
    except ValueError as exc:
        log.warning("WhatsApp webhook with a valid signature but an unreadable body: %s", exc)
        return _answer("bad request", 400)
    statuses = [event for event in events if isinstance(event, StatusEvent)]
    result = provider_feedback.apply_status_events(db.session, statuses)
    db.session.commit()
    log.info("WhatsApp webhook: %s", result)
    _intake([event for event in events if isinstance(event, InboundMessage)])
    return _answer("EVENT_RECEIVED", 200)


def _intake(messages: list[InboundMessage]) -> None:
    """Hand inbound messages to Lapor Gub's intake and commit (photos fetched first, outside
    any transaction)."""
    if not messages:
        return
    config, storage = current_app.config, current_app.extensions["storage"]
    media = [complaint_whatsapp.fetch_media(m, config) if complaint_whatsapp.screen(m, config) is None
             else None for m in messages]
    for message, image in zip(messages, media, strict=True):
        outcome = complaint_whatsapp.receive(db.session, message, config=config, storage=storage, media=image)
        tracking = outcome.complaint.tracking_id if outcome.complaint is not None else "-"
        log.info("WhatsApp %s message %s: %s %s %s", message.provider, message.message_id or "(no id)",
                 outcome.action, tracking, outcome.reason)
    db.session.commit()


def _gateway_refusal(provider: str) -> Response | None:
    """403 unless the request carries the gateways' shared secret."""
    given = request.args.get(SECRET_PARAM) or request.headers.get(SECRET_HEADER)
    expected = current_app.config.get("WHATSAPP_GATEWAY_WEBHOOK_SECRET")
    if not verify_shared_secret(expected, given):
        if not expected:
            log.error("%s callback refused: PRESSROOM_WHATSAPP_GATEWAY_WEBHOOK_SECRET is not set",
                      provider.title())
        else:
            log.warning("%s callback refused: missing or wrong secret (from %s)", provider.title(),
                        request.remote_addr)
        return _answer("forbidden", 403)
    return None


def _gateway_body():
    """A gateway's body: JSON, else form fields (None when it has neither)."""
    data = request.get_json(silent=True, force=True)
    if data is None:
        data = request.form.to_dict() or None
    return data


def _gateway(provider: str):
    refusal = _gateway_refusal(provider)
    if refusal is not None:
        return refusal
    data = _gateway_body()
    try:
        if data is None:
            raise ValueError("the callback has neither a JSON body nor form fields")
        statuses = provider_feedback.parse_gateway_status(provider, data)
    except ValueError as exc:
        log.warning("%s callback with an unreadable body: %s", provider.title(), exc)
        return _answer("bad request", 400)
    if not statuses:
        # The incoming-message webhook pointed here, or a device event: nothing to record.
        log.info("%s callback without a message status: ignored (incoming messages go to "
                 "/webhooks/whatsapp/%s/masuk)", provider.title(), provider)
        return _answer("OK", 200)
    result = provider_feedback.apply_gateway_statuses(db.session, statuses)
    db.session.commit()
    log.info("%s callback: %s", provider.title(), result)
    return _answer("OK", 200)


@bp.post("/whatsapp/fonnte")
@token_authenticated
def fonnte_status():
    return _gateway("fonnte")


@bp.post("/whatsapp/wablas")
@token_authenticated
def wablas_status():
    return _gateway("wablas")


_INBOUND_PARSERS = {"fonnte": parse_fonnte_inbound, "wablas": parse_wablas_inbound}


def _gateway_inbound(provider: str):
    refusal = _gateway_refusal(provider)
    if refusal is not None:
        return refusal
    data = _gateway_body()
    try:
        if data is None:
            raise ValueError("the webhook has neither a JSON body nor form fields")
        message = _INBOUND_PARSERS[provider](data)
    except ValueError as exc:
        log.warning("%s incoming-message webhook with an unreadable body: %s", provider.title(), exc)
        return _answer("bad request", 400)
    if message is None:
        # A group message, the device's own message, or no sender: nothing for Lapor Gub.
        log.info("%s incoming message ignored (group, own or without a sender)", provider.title())
        return _answer("OK", 200)
    _intake([message])
    return _answer("OK", 200)


@bp.post("/whatsapp/fonnte/masuk")
@token_authenticated
def fonnte_inbound():
    return _gateway_inbound("fonnte")


@bp.post("/whatsapp/wablas/masuk")
@token_authenticated
def wablas_inbound():
    return _gateway_inbound("wablas")
