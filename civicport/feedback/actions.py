"""Writes of the feedback app: plain functions, keyword-only arguments.

Every state change writes a ReportEvent (who, when, from, to, why) and an audit entry in the
same transaction. Refusals raise rules.FeedbackError before anything is written.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.audit import audit_record
from civicport.core.auth import normalize_phone
from civicport.core.geo import point_in_city
from civicport.core.models import Agency, Ward
from civicport.core.notify import notification_send
from civicport.core.text import fold, nfc
from civicport.core.units import resolve_address
from civicport.feedback import classifier
from civicport.feedback.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Follow,
    IntakeHit,
    Open311Key,
    Report,
    ReportEvent,
    ReportPhoto,
    Status,
    Urgency,
)
from civicport.feedback.photos import MAX_PHOTOS, CheckedPhoto, photo_check, photo_write
from civicport.feedback.rules import (
    MAX_DESCRIPTION,
    REOPEN_DAYS,
    FeedbackError,
    can_handle,
    city_agency,
    city_name,
    env_int,
    is_operator,
    route,
    sla_deadline,
)

RATE_WINDOW = timedelta(minutes=10)


# --- intake --------------------------------------------------------------------------------


@dataclass
class Intake:
    """What a channel received, before any check."""

    description: str
    channel: str
    category_code: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    ward_code: int | None = None
    attributes: dict = field(default_factory=dict)
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    photos: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, bytes)
    idempotency_key: str = ""


def intake_rate_check(*, address: str | None, user) -> None:
    """Refuse a flood: too many reports from one address or one account in 10 minutes.
    Operators (typing in phone calls) are exempt."""
    if user is not None and getattr(user, "is_authenticated", False) and is_operator(user):
        return
    since = timezone.now() - RATE_WINDOW
    recent = IntakeHit.objects.filter(at__gte=since)
    per_address = env_int("FEEDBACK_MAX_REPORTS_PER_ADDRESS", 20)
    per_account = env_int("FEEDBACK_MAX_REPORTS_PER_ACCOUNT", 10)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    if user_id and recent.filter(user_id=user_id).count() >= per_account:
        raise FeedbackError("rate_limited", _(
            "You have sent too many reports in a short time. Please wait a few minutes."
        ), status=429)
    if address and recent.filter(address=address).count() >= per_address:
        raise FeedbackError("rate_limited", _(
            "Too many reports from this network in a short time. Please wait a few minutes."
        ), status=429)
    IntakeHit.objects.create(address=address, user_id=user_id)
    # Old hits are useless once outside the window; trim them now and then.
    if secrets.randbelow(50) == 0:
        IntakeHit.objects.filter(at__lt=since - timedelta(hours=1)).delete()


def _clean_location(intake: Intake, required: bool) -> tuple[float | None, float | None, Ward | None]:
    lat, lon = intake.lat, intake.lon
    if (lat is None) != (lon is None):
        raise FeedbackError("bad_location", _("Give both latitude and longitude."), field="lat")
    if lat is not None and not (math.isfinite(lat) and math.isfinite(lon)
                                and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise FeedbackError("bad_location", _("The coordinates are not valid."), field="lat")
    if lat is not None and not point_in_city(lat, lon):
        raise FeedbackError(
            "outside_city",
            _("The location is outside %(city)s. Please place the pin inside the city.")
            % {"city": city_name()},
            field="lat",
        )
    ward = None
    if intake.ward_code:
        ward = Ward.objects.filter(code=intake.ward_code).first()
        if ward is None:
            raise FeedbackError("unknown_ward", _("Unknown ward or commune."), field="ward")
    elif intake.address:
        ward = resolve_address(intake.address)
    if required and lat is None and ward is None and not intake.address.strip():
        raise FeedbackError(
            "no_location", _("Place a pin on the map or give an address or ward."), field="lat"
        )
    return lat, lon, ward


def _clean_attributes(category: Category, given: dict) -> dict:
    clean = {}
    for attribute in category.attributes.all():
        value = given.get(attribute.code)
        if isinstance(value, list):
            value = [str(v) for v in value if str(v).strip()]
        elif value is not None:
            value = str(value).strip()
        if not value:
            if attribute.required:
                raise FeedbackError("attribute_required", _(
                    "Please answer: %(question)s"
                ) % {"question": attribute.description}, field=f"attribute[{attribute.code}]")
            continue
        keys = {v["key"] for v in attribute.values}
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            chosen = value if isinstance(value, list) else [value]
            if not set(chosen) <= keys:
                raise FeedbackError("attribute_invalid", _(
                    "Invalid answer to: %(question)s"
                ) % {"question": attribute.description}, field=f"attribute[{attribute.code}]")
            value = chosen if attribute.datatype == "multivaluelist" else chosen[0]
        clean[attribute.code] = value
    return clean


def _contact(intake: Intake) -> tuple[str, str, str]:
    phone = ""
    if intake.reporter_phone.strip():
        phone = normalize_phone(intake.reporter_phone) or ""
        if not phone:
            raise FeedbackError("bad_phone", _("The phone number is not valid."), field="phone")
    email = intake.reporter_email.strip()[:254]
    if email and ("@" not in email or " " in email):
        raise FeedbackError("bad_email", _("The e-mail address is not valid."), field="email")
    return nfc(intake.reporter_name.strip())[:150], phone, email


def report_create(*, intake: Intake, user=None, address: str | None = None,
                  on_behalf: bool = False, rate_limited: bool = True) -> Report:
    """Receive a report from any channel. Suggests category and agency from the text; routes
    it (category + ward → agency); starts its SLA clock; notifies the reporter.

    `on_behalf`: an operator types in a caller's report (the caller's contact, not the
    operator's, is the reporter's). The same `idempotency_key` again returns the first report.
    `rate_limited=False` for callers vetted otherwise (Open311 clients holding an API key).
    """
    description = nfc((intake.description or "").strip())
    if not description:
        raise FeedbackError("empty_description", _("Please describe the problem."),
                            field="description")
    if len(description) > MAX_DESCRIPTION:
        raise FeedbackError("description_too_long", _(
            "The description is longer than %(n)d characters."
        ) % {"n": MAX_DESCRIPTION}, field="description")
    key = (intake.idempotency_key or "").strip()[:100] or None
    if key:
        existing = Report.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    text_only = intake.channel in (Channel.SMS, Channel.EMAIL, Channel.PHONE)
    suggestion = classifier.suggest(description)
    active = Category.objects.select_related("default_urgency")
    codes = {c for c in (intake.category_code, suggestion[0] if suggestion else "") if c}
    found = {c.code: c for c in active.filter(code__in=codes)}  # one query for both
    suggested = found.get(suggestion[0]) if suggestion else None
    if suggested is not None and not suggested.is_active:
        suggested = None
    if intake.category_code:
        category = found.get(intake.category_code)
        if category is not None and not category.is_active:
            category = None
        if category is None:
            raise FeedbackError("unknown_category", _("Unknown category: %(code)s")
                                % {"code": intake.category_code[:40]}, field="category")
    elif text_only and suggested is not None:
        category = suggested  # SMS and e-mail carry no category: triage confirms the guess
    else:
        raise FeedbackError("no_category", _("Choose a category."), field="category")
    lat, lon, ward = _clean_location(intake, required=not text_only)
    attributes = _clean_attributes(category, intake.attributes or {})
    name, phone, email = _contact(intake)
    if len(intake.photos) > MAX_PHOTOS:
        raise FeedbackError("too_many_photos", _("At most %(n)d photos.") % {"n": MAX_PHOTOS},
                            field="photos")
    checked = [photo_check(data, name=file_name) for file_name, data in intake.photos]
    reporter = user if user is not None and user.is_authenticated and not on_behalf else None
    if reporter is not None:
        name = name or reporter.full_name
        phone = phone or reporter.phone
        email = email or reporter.email
    now = timezone.now()
    urgency = category.default_urgency
    agency = route(category, ward)
    suggested_agency = agency if suggested == category else route(suggested, ward)
    with transaction.atomic():
        if rate_limited:
            intake_rate_check(address=address, user=None if on_behalf else user)
        report = Report.objects.create(
            category=category, description=description, description_folded=fold(description),
            attributes=attributes, lat=lat, lon=lon, address=nfc(intake.address.strip())[:300],
            ward=ward, agency=agency, urgency=urgency, channel=intake.channel,
            reporter=reporter, reporter_name=name, reporter_phone=phone, reporter_email=email,
            suggested_category=suggested, suggested_agency=suggested_agency,
            suggestion_score=suggestion[1] if suggestion else None,
            created_at=now, updated_at=now, deadline=sla_deadline(urgency, now),
            token=secrets.token_hex(16), idempotency_key=key,
        )
        _store_photos(report, checked, ReportPhoto.Kind.REPORT)
        _event(report, user, "created", "", Status.RECEIVED, intake.channel)
        _notify_reporter(report, "received")
    return report


def _store_photos(report: Report, checked: list[CheckedPhoto], kind: str) -> None:
    for photo in checked:
        original_name, public_name = photo_write(photo)
        ReportPhoto.objects.create(
            report=report, kind=kind, original_name=original_name, public_name=public_name,
            width=photo.width, height=photo.height,
        )


def _event(report: Report, actor, action: str, from_status: str, to_status: str,
           note: str = "", public: bool = True) -> ReportEvent:
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = ReportEvent.objects.create(
        report=report, actor=actor, action=action, from_status=from_status,
        to_status=to_status, note=note, public=public,
    )
    audit_record(actor=actor, action=f"feedback.report.{action}", obj=report,
                 data={"from": from_status, "to": to_status, "note": note[:500]})
    return event


def _notify_reporter(report: Report, what: str) -> None:
    """Tell the reporter and the followers (e-mail or SMS), once per report and step."""
    step = f"{what}:{report.version}"
    recipients = []
    if report.reporter_email:
        recipients.append(("email", report.reporter_email))
    elif report.reporter_phone:
        recipients.append(("sms", report.reporter_phone))
    if what != "received":
        for follow in report.follows.select_related("user"):
            email = follow.email or (follow.user.email if follow.user else "")
            phone = follow.phone or (follow.user.phone if follow.user else "")
            if email:
                recipients.append(("email", email))
            elif phone:
                recipients.append(("sms", phone))
    for channel, recipient in dict.fromkeys(recipients):
        digest = hashlib.sha256(recipient.encode()).hexdigest()[:16]
        notification_send(
            channel=channel, recipient=recipient, template=f"feedback_{what}",
            context={"report": report, "status": report.get_status_display()},
            idempotency_key=f"feedback:{report.pk}:{step}:{channel}:{digest}",
        )


# --- workflow ------------------------------------------------------------------------------


def _locked(report_id: int, version: int | None) -> Report:
    """The report, row-locked; a stale `version` (someone acted meanwhile) → 409."""
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise FeedbackError("not_found", _("Report not found."), status=404)
    if version is not None and report.version != version:
        raise FeedbackError("conflict", _(
            "Someone else changed this report meanwhile. Reload the page and try again."
        ), status=409)
    return report


def _require(ok: bool) -> None:
    if not ok:
        raise FeedbackError("forbidden", _("You may not do this."), status=403)


def _require_status(report: Report, allowed) -> None:
    if report.status not in allowed:
        raise FeedbackError("bad_status", _(
            "This is not possible while the report is “%(status)s”."
        ) % {"status": report.get_status_display()}, status=409)


def _move(report: Report, actor, action: str, to_status: str, note: str = "",
          fields: dict | None = None, public: bool = True) -> Report:
    from_status = report.status
    for name, value in (fields or {}).items():
        setattr(report, name, value)
    report.status = to_status
    report.updated_at = timezone.now()
    report.version = F("version") + 1
    report.save()
    report.refresh_from_db()
    _event(report, actor, action, from_status, to_status, note, public)
    return report


@transaction.atomic
def report_triage(*, report_id: int, user, category_code: str, agency_id: int | None = None,
                  urgency_code: str = "", version: int | None = None) -> Report:
    """An operator confirms or corrects the category (and agency, urgency): the report is
    assigned. The confirmed category becomes training data for the classifier."""
    _require(is_operator(user))
    report = _locked(report_id, version)
    _require_status(report, (Status.RECEIVED, Status.ASSIGNED))
    category = Category.objects.filter(code=category_code, is_active=True).first()
    if category is None:
        raise FeedbackError("unknown_category", _("Unknown category: %(code)s")
                            % {"code": category_code[:40]}, field="category")
    agency = route(category, report.ward)
    if agency_id:
        agency = Agency.objects.filter(pk=agency_id, is_active=True).first()
        if agency is None:
            raise FeedbackError("unknown_agency", _("Unknown agency."), field="agency")
    urgency = report.urgency
    if urgency_code:
        urgency = Urgency.objects.filter(code=urgency_code).first()
        if urgency is None:
            raise FeedbackError("unknown_urgency", _("Unknown urgency level."), field="urgency")
    # A correction: the operator's category differs from the one filed or the one suggested.
    corrected = category.pk not in (report.category_id, report.suggested_category_id) or (
        report.category_id != report.suggested_category_id)
    note = _("Category: %(category)s; agency: %(agency)s") % {
        "category": category.name, "agency": agency.name if agency else "—"}
    filed = report.category_id
    report = _move(report, user, "triaged", Status.ASSIGNED, note, {
        "category": category, "agency": agency, "urgency": urgency, "category_confirmed": True,
        "deadline": sla_deadline(urgency, report.created_at),
    })
    if corrected:
        audit_record(actor=user, action="feedback.report.category_corrected", obj=report,
                     data={"filed": filed, "suggested": report.suggested_category_id,
                           "chosen": category.pk})
    _notify_reporter(report, "assigned")
    return report


@transaction.atomic
def report_start(*, report_id: int, user, version: int | None = None) -> Report:
    report = _locked(report_id, version)
    _require(can_handle(user, report))
    _require_status(report, (Status.ASSIGNED,))
    return _move(report, user, "started", Status.IN_PROGRESS)


@transaction.atomic
def report_transfer(*, report_id: int, user, agency_id: int, reason: str,
                    version: int | None = None) -> Report:
    """Hand the report to another agency (wrong owner); the SLA clock keeps running."""
    report = _locked(report_id, version)
    _require(can_handle(user, report))
    _require_status(report, (Status.ASSIGNED, Status.IN_PROGRESS))
    agency = Agency.objects.filter(pk=agency_id, is_active=True).first()
    if agency is None or agency.pk == report.agency_id:
        raise FeedbackError("unknown_agency", _("Choose another agency."), field="agency")
    if not reason.strip():
        raise FeedbackError("reason_required", _("Give a reason."), field="reason")
    note = _("Transferred to %(agency)s: %(reason)s") % {"agency": agency.name,
                                                       "reason": reason.strip()}
    return _move(report, user, "transferred", Status.ASSIGNED, note, {"agency": agency})


@transaction.atomic
def report_request_info(*, report_id: int, user, question: str,
                        version: int | None = None) -> Report:
    report = _locked(report_id, version)
    _require(can_handle(user, report))
    _require_status(report, (Status.ASSIGNED, Status.IN_PROGRESS))
    if not question.strip():
        raise FeedbackError("question_required", _("Write the question."), field="question")
    report = _move(report, user, "info_requested", Status.INFO_REQUESTED, question.strip())
    _notify_reporter(report, "info_requested")
    return report


@transaction.atomic
def report_provide_info(*, report_id: int, user, token: str, text: str) -> Report:
    """The reporter answers a question (by their report's secret token or their account)."""
    report = _locked(report_id, None)
    _require(_is_reporter(report, user, token))
    _require_status(report, (Status.INFO_REQUESTED,))
    if not text.strip():
        raise FeedbackError("text_required", _("Write your answer."), field="text")
    return _move(report, user, "info_provided", Status.IN_PROGRESS, text.strip()[:4000])


@transaction.atomic
def report_answer(*, report_id: int, user, answer: str, photos=(),
                  version: int | None = None) -> Report:
    """The agency publishes its answer (with photos); on time if before the deadline."""
    report = _locked(report_id, version)
    _require(can_handle(user, report))
    _require_status(report, (Status.ASSIGNED, Status.IN_PROGRESS))
    answer = nfc(answer.strip())
    if not answer:
        raise FeedbackError("answer_required", _("Write the answer."), field="answer")
    checked = [photo_check(data, name=name) for name, data in photos]
    now = timezone.now()
    first = report.answered_at is None
    fields = {"answer": answer, "answered_at": now if first else report.answered_at}
    if first:
        fields["answered_on_time"] = report.deadline is None or now <= report.deadline
        fields["hours_to_answer"] = (now - report.created_at).total_seconds() / 3600
    report = _move(report, user, "answered", Status.ANSWERED, answer, fields)
    _store_photos(report, checked, ReportPhoto.Kind.ANSWER)
    _notify_reporter(report, "answered")
    return report


def _is_reporter(report: Report, user, token: str) -> bool:
    if token and secrets.compare_digest(token, report.token):
        return True
    return bool(user and user.is_authenticated and report.reporter_id == user.pk)


@transaction.atomic
def report_rate(*, report_id: int, user, token: str = "", rating: int,
                comment: str = "") -> Report:
    """The reporter rates the answer (1–5); the report is then closed."""
    report = _locked(report_id, None)
    _require(_is_reporter(report, user, token))
    _require_status(report, (Status.ANSWERED,))
    if rating not in (1, 2, 3, 4, 5):
        raise FeedbackError("bad_rating", _("Choose from 1 to 5 stars."), field="rating")
    note = _("Rated %(n)d/5") % {"n": rating} + (f": {comment.strip()[:1000]}" if comment else "")
    now = timezone.now()
    return _move(report, user, "rated", Status.CLOSED, note,
                 {"rating": rating, "rated_at": now, "closed_at": now})


@transaction.atomic
def report_reopen(*, report_id: int, user, token: str = "", reason: str) -> Report:
    """The reporter is not satisfied: within REOPEN_DAYS of the answer the report goes back to
    the agency with a new SLA deadline."""
    report = _locked(report_id, None)
    _require(_is_reporter(report, user, token))
    _require_status(report, (Status.ANSWERED, Status.CLOSED))
    if report.answered_at is None or timezone.now() - report.answered_at > timedelta(
        days=REOPEN_DAYS
    ):
        raise FeedbackError("reopen_expired", _(
            "A report can be reopened only within %(n)d days of its answer."
        ) % {"n": REOPEN_DAYS}, status=409)
    if not reason.strip():
        raise FeedbackError("reason_required", _("Tell us why you are not satisfied."),
                            field="reason")
    now = timezone.now()
    return _move(report, user, "reopened", Status.IN_PROGRESS, reason.strip()[:2000], {
        "reopen_count": report.reopen_count + 1, "closed_at": None, "rating": None,
        "rated_at": None, "deadline": sla_deadline(report.urgency, now), "escalated_at": None,
    })


@transaction.atomic
def report_reject(*, report_id: int, user, reason: str, version: int | None = None) -> Report:
    """Not a 1022 matter (e.g. a complaint or denunciation, which has its own procedure)."""
    _require(is_operator(user))
    report = _locked(report_id, version)
    _require_status(report, (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS))
    if not reason.strip():
        raise FeedbackError("reason_required", _("Give a reason."), field="reason")
    report = _move(report, user, "rejected", Status.REJECTED, reason.strip(), {
        "status_note": reason.strip()[:500], "closed_at": timezone.now()})
    _notify_reporter(report, "rejected")
    return report


@transaction.atomic
def report_merge(*, report_id: int, into_id: int, user, version: int | None = None) -> Report:
    """Mark a report as a duplicate of another: linked both ways (duplicate_of / duplicates);
    the duplicate's reporter follows the original from then on."""
    _require(is_operator(user))
    if report_id == into_id:
        raise FeedbackError("bad_merge", _("A report cannot duplicate itself."))
    report = _locked(report_id, version)
    target = Report.objects.select_for_update().filter(pk=into_id).first()
    if target is None:
        raise FeedbackError("not_found", _("Report not found."), status=404)
    if target.duplicate_of_id:
        target = target.duplicate_of
    _require_status(report, (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS))
    note = _("Duplicate of report #%(id)d") % {"id": target.pk}
    report = _move(report, user, "merged", Status.MERGED, note, {
        "duplicate_of": target, "closed_at": timezone.now(), "status_note": note})
    ReportEvent.objects.create(report=target, actor=user, action="duplicate_added",
                               from_status=target.status, to_status=target.status,
                               note=_("Report #%(id)d merged into this one") % {"id": report.pk})
    if report.reporter_id or report.reporter_email or report.reporter_phone:
        _follow(target, report.reporter, report.reporter_email, report.reporter_phone)
    return report


def _follow(report: Report, user, email: str = "", phone: str = "") -> Follow:
    if user is not None and getattr(user, "is_authenticated", False):
        follow, _created = Follow.objects.get_or_create(report=report, user=user)
        return follow
    existing = Follow.objects.filter(report=report, user__isnull=True, email=email, phone=phone)
    return existing.first() or Follow.objects.create(report=report, email=email, phone=phone)


@transaction.atomic
def report_follow(*, report_id: int, user=None, email: str = "", phone: str = "") -> Follow:
    """Follow a report (a logged-in user, or an e-mail address / phone number)."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        raise FeedbackError("not_found", _("Report not found."), status=404)
    if not (user and user.is_authenticated):
        email = email.strip()
        phone = normalize_phone(phone) or "" if phone.strip() else ""
        if not email and not phone:
            raise FeedbackError("contact_required", _(
                "Give an e-mail address or a phone number to be notified."), field="email")
        if email and "@" not in email:
            raise FeedbackError("bad_email", _("The e-mail address is not valid."),
                                field="email")
    return _follow(report, user, email, phone)


# --- periodic ------------------------------------------------------------------------------


def reports_escalate_overdue(*, now=None) -> int:
    """Open reports past their deadline go up to the city level (once per deadline)."""
    now = now or timezone.now()
    city = city_agency()
    ids = list(Report.objects.filter(
        status__in=OPEN_STATUSES, deadline__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True)[:5000])
    for report_id in ids:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if report.escalated_at is not None:
                continue
            report.escalated_at = now
            report.save(update_fields=["escalated_at"])
            _event(report, None, "escalated", report.status, report.status,
                   _("Overdue: escalated to %(agency)s") % {
                       "agency": city.name if city else _("the city")}, public=False)
    return len(ids)


def reports_close_answered(*, now=None) -> int:
    """Answered reports nobody rated or reopened within REOPEN_DAYS are closed."""
    now = now or timezone.now()
    ids = list(Report.objects.filter(
        status=Status.ANSWERED, answered_at__lt=now - timedelta(days=REOPEN_DAYS)
    ).values_list("pk", flat=True)[:5000])
    for report_id in ids:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if report.status == Status.ANSWERED:
                _move(report, None, "closed", Status.CLOSED, "", {"closed_at": now})
    return len(ids)


# --- Open311 keys --------------------------------------------------------------------------


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open311_key_create(*, name: str, actor=None) -> tuple[Open311Key, str]:
    """A new API key; the plain key is returned once and never stored."""
    plain = "o311_" + secrets.token_urlsafe(24)
    row = Open311Key.objects.create(name=name[:100], prefix=plain[:12],
                                    digest=_key_digest(plain))
    audit_record(actor=actor, action="feedback.open311_key.created", obj=row, data={"name": name})
    return row, plain


def open311_key_check(key: str) -> Open311Key | None:
    if not key or len(key) > 200:
        return None
    return Open311Key.objects.filter(digest=_key_digest(key), revoked_at__isnull=True).first()
