"""Social posts: drafting, images (re-encoded), platform rules checked at approval time,
the approval chain, scheduling into the outbox, holds, missed posts and corrections."""

from __future__ import annotations

import hashlib
import io
import ipaddress
import re
import uuid
import warnings
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import Delivery, Post, PostComment, PostImage, PostTarget, SocialAccount, User
from pressroom.services import ValidationError, approvals, audit, outbox
from pressroom.services.policy import acting_as
from pressroom.storage import LocalStorage

SUBJECT = "post"
#: A post may still go out this long after its scheduled time (e.g. a short outage).
DEFAULT_MISSED_WINDOW = timedelta(minutes=30)
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
_URL = re.compile(r"https?://\S+")
_HASHTAG = re.compile(r"(?<!\w)#\w+")


def approval_content(post: Post) -> dict:
    """Exactly what an approver approves: text, images (with alt text), targets, time."""
    return {
        "caption": post.caption,
        "variants": dict(sorted((post.caption_variants or {}).items())),
        "images": [(i.sha256, i.alt_text) for i in post.images],
        "targets": sorted(t.account_id for t in post.targets),
        "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "opd_id": post.opd_id,
    }


Post.approval_content = approval_content  # the approval mechanism's protocol


def title_of(post: Post) -> str:
    first = " ".join(post.caption.split())[:60]
    return first or f"Post #{post.id}"


# Drafting ----------------------------------------------------------------------------------
def _check_targets(session: Session, opd_id: int, account_ids: list[int]) -> list[SocialAccount]:
    accounts = list(session.scalars(select(SocialAccount).where(SocialAccount.id.in_(account_ids or [0]))))
    if len(accounts) != len(set(account_ids)) or any(a.opd_id != opd_id or not a.is_active for a in accounts):
        raise ValidationError.one("account_ids", _l("Choose accounts of this OPD."))
    return accounts


def create_post(session: Session, author: User, opd_id: int, *, caption: str, variants: dict[str, str],
                scheduled_at: datetime | None, account_ids: list[int], origin: str = "manual",
                corrects: Post | None = None) -> Post:
    post = Post(opd_id=opd_id, author_id=author.id, caption=(caption or "").strip(),
                caption_variants={k: v.strip() for k, v in variants.items() if v and v.strip()},
                scheduled_at=scheduled_at, origin=origin,
                corrects_post_id=corrects.id if corrects else None)
    session.add(post)
    for account in _check_targets(session, opd_id, account_ids):
        post.targets.append(PostTarget(account_id=account.id))
    session.flush()
    audit.record(session, author, "post.created", post, fields=["caption", "targets", "scheduled_at"],
                 details={"corrects": corrects.id} if corrects else None)
    return post


def _editable(post: Post) -> None:
    if post.state not in ("draft", "submitted", "rejected", "approved", "held", "withdrawn"):
        raise ValidationError.one("", _l("This post can no longer be changed."))


def _after_edit(session: Session, user: User, post: Post, changed: list[str]) -> None:
    """Any edit clears the approval; a queued send is cancelled until it is approved again."""
    if not changed:
        return
    was = post.state
    if was in ("submitted", "approved", "held"):
        approvals.clear(session, post, SUBJECT, to_state="draft",
                        reason=str(_l("Edited after submission: approve again.")))
        cancel_deliveries(session, post)
    post.updated_at = clock.now()
    audit.record(session, user, "post.updated", post, fields=changed,
                 details={"cleared_approval": was in ("submitted", "approved", "held")})


def update_post(session: Session, user: User, post: Post, *, caption: str, variants: dict[str, str],
                scheduled_at: datetime | None, account_ids: list[int]) -> list[str]:
    _editable(post)
    if _has_started(session, post):
        raise ValidationError.one("", _l("Sending has started; retract or correct it instead."))
    changed = audit.changed_fields(post, {
        "caption": (caption or "").strip(),
        "caption_variants": {k: v.strip() for k, v in variants.items() if v and v.strip()},
        "scheduled_at": scheduled_at,
    })
    wanted = {a.id for a in _check_targets(session, post.opd_id, account_ids)}
    if wanted != {t.account_id for t in post.targets}:
        post.targets = [t for t in post.targets if t.account_id in wanted] + [
            PostTarget(account_id=a) for a in sorted(wanted - {t.account_id for t in post.targets})]
        changed.append("targets")
    _after_edit(session, user, post, changed)
    return changed


def add_image(session: Session, user: User, storage: LocalStorage, post: Post, data: bytes, *,
              alt_text: str) -> PostImage:
    """Re-encode an upload: apply EXIF orientation, strip metadata, store a JPEG and a preview."""
    _editable(post)
    if len(post.images) >= 10:
        raise ValidationError.one("image", _l("A post has at most 10 images."))
    jpeg, thumb, size = reencode(data)
    digest = hashlib.sha256(jpeg).hexdigest()
    base = f"posts/{post.opd_id}/{post.id}/{uuid.uuid4().hex[:12]}"
    storage.put(f"{base}.jpg", jpeg, public=True)
    storage.put(f"{base}-thumb.jpg", thumb, public=True)
    image = PostImage(storage_key=f"{base}.jpg", thumb_key=f"{base}-thumb.jpg", width=size[0], height=size[1],
                      size_bytes=len(jpeg), sha256=digest, alt_text=" ".join((alt_text or "").split())[:1000],
                      position=len(post.images))
    post.images.append(image)
    session.flush()
    _after_edit(session, user, post, ["images"])
    return image


def remove_image(session: Session, user: User, post: Post, image: PostImage) -> None:
    _editable(post)
    post.images.remove(image)
    for position, remaining in enumerate(post.images):
        remaining.position = position
    _after_edit(session, user, post, ["images"])


def set_alt_text(session: Session, user: User, post: Post, image: PostImage, alt_text: str) -> None:
    _editable(post)
    text = " ".join((alt_text or "").split())[:1000]
    if text != image.alt_text:
        image.alt_text = text
        _after_edit(session, user, post, ["alt_text"])


def reencode(data: bytes) -> tuple[bytes, bytes, tuple[int, int]]:
    """Return (JPEG, preview JPEG, (width, height)); refuse anything that is not a safe image."""
    if not data:
        raise ValidationError.one("image", _l("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise ValidationError.one("image", _l("The image is too large (over 40 megapixels)."))
                source.load()
                image = ImageOps.exif_transpose(source)
                image = image.convert("RGB")
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError.one("image", _l("The image is too large (over 40 megapixels).")) from None
    except Exception:  # noqa: BLE001 - Pillow raises many types for bad files
        raise ValidationError.one(
            "image", _l("This file is not an image Pressroom can read (use JPEG or PNG).")) from None
    if max(image.size) > 4096:
        image.thumbnail((4096, 4096), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, optimize=True, progressive=True)  # no EXIF written
    jpeg = out.getvalue()
    if len(jpeg) > MAX_IMAGE_BYTES:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=75, optimize=True, progressive=True)
        jpeg = out.getvalue()
    preview = image.copy()
    preview.thumbnail((480, 480), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    preview.save(out, format="JPEG", quality=75, optimize=True)
    return jpeg, out.getvalue(), image.size


# Platform rules (checked when approving, not when publishing) ---------------------------------
#: twitter-text v3's weighted ranges: characters here count 1, every other character 2
#: (CJK, emoji …). https://github.com/twitter/twitter-text/blob/master/config/v3.json
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def x_length(text: str) -> int:
    """Characters as X counts them: every URL counts as 23, characters outside the light
    ranges (emoji, CJK) as 2. An emoji made of several code points joined by ZWJ counts a
    little more here than at X: the check errs on the side of a post X would accept."""
    weighted = 0
    for char in _URL.sub("x" * 23, text):
        code = ord(char)
        weighted += 1 if any(low <= code <= high for low, high in _X_LIGHT_RANGES) else 2
    return weighted


def _is_public_https(url: str, allow: frozenset[str]) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    if parts.hostname in allow:
        return True
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return parts.hostname not in ("localhost",) and not parts.hostname.endswith((".local", ".internal"))
    return address.is_global


def platform_problems(post: Post, *, public_url: str, allow_hosts: frozenset[str] = frozenset()) -> list[str]:
    """Everything a target platform would reject, in plain words (lazy-translated)."""
    problems: list = []
    platforms = {t.account.platform for t in post.targets}
    images = post.images
    if not post.targets:
        problems.append(_l("Choose at least one account."))
    if not post.caption.strip() and not images:
        problems.append(_l("Write a caption or add an image."))
    if any(not i.alt_text.strip() for i in images):
        problems.append(_l("Every image needs alt text (a description for blind readers)."))
    if "x" in platforms:
        if x_length(post.caption_for("x")) > 280:
            problems.append(_l("X: the text is %(n)s characters; the limit is 280 (links count as 23).",
                               n=x_length(post.caption_for("x"))))
        if len(images) > 4:
            problems.append(_l("X: at most 4 images."))
    if "facebook" in platforms and len(post.caption_for("facebook")) > 63206:
        problems.append(_l("Facebook: the caption is over 63,206 characters."))
    if "instagram" in platforms:
        caption = post.caption_for("instagram")
        if len(caption) > 2200:
            problems.append(_l("Instagram: the caption is over 2,200 characters."))
        if len(_HASHTAG.findall(caption)) > 30:
            problems.append(_l("Instagram: more than 30 hashtags."))
        if not images:
            problems.append(_l("Instagram: a post needs at least one image."))
        if len(images) > 10:
            problems.append(_l("Instagram: at most 10 images in a carousel."))
        for image in images:
            ratio = image.width / image.height
            if ratio < 0.8 - 1e-3 or ratio > 1.91 + 1e-3:
                shown = round(ratio, 2)
                problems.append(_l(
                    "Instagram: image %(n)s has aspect %(r)s; it must be between 4:5 and 1.91:1.",
                    n=image.position + 1, r=shown))
            if image.size_bytes > MAX_IMAGE_BYTES:
                problems.append(_l("Instagram: image %(n)s is over 8 MB.", n=image.position + 1))
        if not _is_public_https(public_url, allow_hosts):
            problems.append(_l("Instagram fetches images itself: PRESSROOM_PUBLIC_URL must be a public https "
                               "address."))
    if "telegram" in platforms:
        if images and len(post.caption_for("telegram")) > 1024:
            problems.append(_l("Telegram: a photo caption is at most 1,024 characters."))
        if len(images) > 10:
            problems.append(_l("Telegram: at most 10 images in an album."))
    return problems


# The chain -------------------------------------------------------------------------------------
def _link(post: Post) -> str:
    return f"/app/posts/{post.id}"


def submit_post(session: Session, user: User, post: Post) -> None:
    if post.scheduled_at is None:
        raise ValidationError.one("scheduled_at", _l("Choose when to publish."))
    if post.scheduled_at <= clock.now():
        raise ValidationError.one("scheduled_at", _l("The publication time has already passed."))
    approvals.submit(session, user, post, SUBJECT, link=_link(post), title=title_of(post))


def approve_post(session: Session, user: User, post: Post, *, comment: str, public_url: str,
                 allow_hosts: frozenset[str] = frozenset(),
                 missed_window: timedelta = DEFAULT_MISSED_WINDOW) -> bool:
    """Approve the current step. On the final step, queue one delivery per target account."""
    approvals.check_can_decide(session, user, post, SUBJECT)
    if post.scheduled_at is None or post.scheduled_at <= clock.now():
        mark_missed(session, post, str(_l("Its time passed before it was approved.")))
        raise ValidationError.one("", _l("Its publication time passed before approval, so it was marked "
                                          "missed and will not be published late. Copy it into a new post."))
    problems = platform_problems(post, public_url=public_url, allow_hosts=allow_hosts)
    if problems:
        raise ValidationError({"": problems[0], **{f"problem{i}": p for i, p in enumerate(problems[1:])}})
    final = approvals.approve(session, user, post, SUBJECT, comment=comment, link=_link(post),
                              title=title_of(post))
    if final:
        for target in post.targets:
            outbox.enqueue(session, kind="publish", channel=target.account.platform, subject_type=SUBJECT,
                           subject_id=post.id, opd_id=post.opd_id, account_id=target.account_id,
                           due_at=post.scheduled_at, not_after=post.scheduled_at + missed_window)
    return final


def reject_post(session: Session, user: User, post: Post, *, comment: str) -> None:
    approvals.reject(session, user, post, SUBJECT, comment=comment, link=_link(post), title=title_of(post))


def withdraw_post(session: Session, user: User, post: Post) -> None:
    if post.state not in ("submitted", "approved", "held"):
        raise ValidationError.one("", _l("Only a submitted or approved post can be withdrawn."))
    if _has_started(session, post):
        raise ValidationError.one("", _l("Sending has started; retract or correct it instead."))
    approvals.clear(session, post, SUBJECT, to_state="withdrawn")
    cancel_deliveries(session, post)
    audit.record(session, user, "post.withdrawn", post, fields=["state"])


def comment_on(session: Session, user: User, post: Post, text: str) -> PostComment:
    body = (text or "").strip()
    if not body:
        raise ValidationError.one("text", _l("Write a comment."))
    comment = PostComment(post_id=post.id, author_id=user.id, acting_as=acting_as(user, post.opd_id),
                          text=body[:4000])
    session.add(comment)
    session.flush()
    audit.record(session, user, "post.commented", post, fields=["comment"])
    return comment


# Deliveries ---------------------------------------------------------------------------------
def deliveries_of(session: Session, post: Post) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(
        Delivery.subject_type == SUBJECT, Delivery.subject_id == post.id).order_by(Delivery.id)))


def sending_started(deliveries: list[Delivery]) -> bool:
    """Whether any delivery has (or may have) left: then a post is retracted or corrected,
    no longer edited or withdrawn."""
    return any(d.status in ("claimed", "sent", "unknown") or d.attempt_started_at for d in deliveries)


def _has_started(session: Session, post: Post) -> bool:
    return sending_started(deliveries_of(session, post))


def cancel_deliveries(session: Session, post: Post) -> int:
    count = 0
    for delivery in deliveries_of(session, post):
        if delivery.status == "due":
            delivery.status = "cancelled"
            count += 1
    return count


def mark_missed(session: Session, post: Post, reason: str) -> None:
    """Its time passed (before approval, or during an outage): never published late."""
    if post.state == "missed":
        return
    cancel_deliveries(session, post)
    post.state, post.state_reason = "missed", reason[:300]
    audit.record(session, None, "post.missed", post, fields=["state"])


def hold(session: Session, post: Post, reason: str) -> None:
    """A pause or blackout window stopped it: held until someone approves it again."""
    if post.state == "held":
        return
    cancel_deliveries(session, post)
    approvals.clear(session, post, SUBJECT, to_state="held", reason=reason[:300])
    audit.record(session, None, "post.held", post, fields=["state"])


# Retraction and correction --------------------------------------------------------------------
#: Platforms whose API lets a published post be deleted.
RETRACTABLE = frozenset({"x", "facebook", "telegram", "sandbox"})


def retraction_targets(session: Session, post: Post) -> list[Delivery]:
    """Sent deliveries of a post, each to be deleted where its platform allows."""
    return [d for d in deliveries_of(session, post) if d.kind == "publish" and d.status == "sent"]


def record_retraction(session: Session, user: User, post: Post,
                      outcomes: dict[int, tuple[bool, str]]) -> None:
    """Store what each platform said (delivery id → (deleted?, note)) and audit it."""
    deleted = [delivery_id for delivery_id, (ok, _note) in outcomes.items() if ok]
    for delivery in retraction_targets(session, post):
        if delivery.id in outcomes:
            # The delivery stays "sent" (it was published); the note says what retraction did.
            delivery.last_error = outcomes[delivery.id][1]
    if outcomes and len(deleted) == len(outcomes):
        post.retracted_at = clock.now()
    audit.record(session, user, "post.retracted", post, fields=["deliveries"],
                 details={"deleted": len(deleted), "not_deleted": len(outcomes) - len(deleted)})


def start_correction(session: Session, user: User, post: Post) -> Post:
    """A correction (ralat) is a new draft linked to the post it corrects."""
    if post.state != "approved":
        raise ValidationError.one("", _l("Only a published post can be corrected."))
    return create_post(session, user, post.opd_id, caption=f"RALAT: {post.caption}",
                       variants=dict(post.caption_variants or {}), scheduled_at=None,
                       account_ids=[t.account_id for t in post.targets], corrects=post)
