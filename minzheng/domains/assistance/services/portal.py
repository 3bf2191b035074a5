"""Writes of the resident portal (码上办): preparing an online application step by step,
the members' verification authorisations, filing it once, and sending missing documents.

A resident prepares an `ApplicationDraft` (programme → circumstances → documents →
authorisation) and submits it; the draft is filed through `application_submit` (channel
online) and its attachments and authorisations move to the application. Submitting a draft
twice returns the application filed the first time: the draft row is locked and its
one-to-one link to the application is the idempotency key.

The resident who filed an application may withdraw it online while it is open
(`application_withdraw_online`). Drafts never submitted and left unchanged for
ASSISTANCE_DRAFT_RETENTION_DAYS are removed each night with their files and consents
(`drafts_purge_abandoned`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common import crypto
from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models.authorisation import (
    ApplicationDraft,
    TemporaryReason,
    VerificationAuthorisation,
)
from minzheng.domains.assistance.models.casework import (
    ApplicationChannel,
    AssistanceApplication,
    Enrolment,
    Programme,
)
from minzheng.domains.assistance.selectors.portal import (
    AUTHORISATION_DOCUMENT,
    PORTAL_PROGRAMMES,
    abandoned_drafts,
    adult_members,
    household_open_application,
    required_uploads,
    resident_application_get,
    withdraw_refusal,
)
from minzheng.domains.assistance.services.casework import (
    application_resubmit,
    application_submit,
    application_withdraw,
)
from minzheng.kernel.accounts.models import User, UserKind
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.documents.models import Attachment, IssuedDocument
from minzheng.kernel.documents.services import attachment_add
from minzheng.kernel.people.id_numbers import IdNumberError, parse_id_number
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Household, Person
from minzheng.kernel.people.selectors import resident_household

__all__ = [
    "DOCUMENT_KINDS",
    "DraftPurge",
    "application_resubmit_online",
    "application_withdraw_online",
    "authorisation_text",
    "draft_attach",
    "draft_authorise",
    "draft_save_circumstances",
    "draft_start",
    "draft_submit",
    "drafts_purge_abandoned",
    "resident_link",
]

logger = logging.getLogger(__name__)

# The attachment kind of each required document (documents kernel kinds); others: "other".
DOCUMENT_KINDS = {
    "居民身份证": "id_card_copy",
    "户口簿": "household_register_copy",
    "收入情况说明": "income_proof",
    "困难情况说明": "expense_proof",
    AUTHORISATION_DOCUMENT: "authorisation",
}
MAX_CIRCUMSTANCES = 2000
MAX_WITHDRAW_REASON = 500
# Drafts deleted per statement by the clean-up (keeps `IN (...)` lists short on every database).
PURGE_CHUNK = 500
# The purge's audit event names at most this many drafts and attachments (the first ones by
# id); its counts always cover all. A first run over years of abandoned drafts stays one
# event of bounded size.
PURGE_AUDIT_IDS = 1000


def _kind(document: str) -> str:
    return DOCUMENT_KINDS.get(document, "other")


def _household_of(actor: User) -> Household:
    """The resident's current household, or a refusal a resident can act on."""
    if getattr(actor, "kind", None) != UserKind.RESIDENT:
        raise PermissionRefused(_("Residents apply online."), code="file_denied")
    household = resident_household(resident=actor)
    if household is None:
        raise PermissionRefused(
            _(
                "Your account is not linked to a household of the register yet: ask the "
                "civil-affairs office of your town to link it."
            ),
            code="no_household",
        )
    return household


def _locked_draft(actor: User, draft: ApplicationDraft) -> ApplicationDraft:
    """The draft row, locked, if it belongs to the resident's current household."""
    household = _household_of(actor)
    locked = (
        ApplicationDraft.objects.select_for_update()
        .filter(pk=draft.pk, household=household)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such application draft."), code="draft_not_found")
    return locked


def _open_for_changes(draft: ApplicationDraft) -> None:
    if draft.application_id is not None:
        raise Conflict(
            _("This application has been submitted already; follow it on its progress page."),
            code="draft_submitted",
        )


def _audit(actor: User, action: str, draft: ApplicationDraft, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=draft,
        region_code=draft.household.region.code,
        changes={"programme": draft.programme.code, "household": draft.household_id, **changes},
    )


def draft_start(*, actor: User, programme: Programme) -> ApplicationDraft:
    """Start (or continue) the household's online application for `programme`.

    Refused when the household already has an open application for it or is enrolled in it.
    One unsubmitted draft per household and programme: a second start continues it.
    """
    household = _household_of(actor)
    if programme.code not in PORTAL_PROGRAMMES or not programme.is_active:
        raise ValidationFailed(
            _("This programme cannot be applied for online yet."), field="programme"
        )
    with transaction.atomic():
        household = (
            Household.objects.select_for_update().select_related("region").get(pk=household.pk)
        )
        open_application = household_open_application(household=household, programme=programme)
        if open_application is not None:
            raise Conflict(
                _(
                    "Your household already has an open application for %(programme)s "
                    "(case %(case)s): follow it instead of applying again."
                )
                % {"programme": programme.name, "case": open_application.case_number},
                code="application_open",
                extra={"application": open_application.pk},
            )
        if Enrolment.objects.filter(
            household=household, programme=programme, state__in=["active", "suspended"]
        ).exists():
            raise Conflict(
                _("Your household already receives %(programme)s.") % {"programme": programme.name},
                code="already_enrolled",
            )
        draft = ApplicationDraft.objects.filter(
            household=household, programme=programme, application__isnull=True
        ).first()
        if draft is not None:
            draft.save(update_fields=["updated_at"])  # continuing keeps it from the clean-up
            return draft
        draft = ApplicationDraft.objects.create(
            resident=actor, household=household, programme=programme
        )
        _audit(actor, "assistance.draft.start", draft)
    return draft


def draft_save_circumstances(
    *,
    actor: User,
    draft: ApplicationDraft,
    circumstances: str,
    monthly_income: Decimal | None = None,
    income_note: str = "",
    temporary_reason: str = "",
) -> ApplicationDraft:
    """Save the household's circumstances, its declared income and (temporary) the reason."""
    circumstances = circumstances.strip()
    if not circumstances:
        raise ValidationFailed(
            _("Describe your household's situation in a few sentences."), field="circumstances"
        )
    if len(circumstances) > MAX_CIRCUMSTANCES:
        raise ValidationFailed(
            _("Keep the description under %(count)d characters.") % {"count": MAX_CIRCUMSTANCES},
            field="circumstances",
        )
    if monthly_income is not None and monthly_income < 0:
        raise ValidationFailed(_("The income cannot be negative."), field="monthly_income")
    with transaction.atomic():
        draft = _locked_draft(actor, draft)
        _open_for_changes(draft)
        if draft.programme.code == "temporary":
            if temporary_reason not in TemporaryReason.values:
                raise ValidationFailed(
                    _("Choose why your household needs temporary assistance."),
                    field="temporary_reason",
                )
        else:
            temporary_reason = ""
        if draft.programme.code == "dibao" and monthly_income is None:
            raise ValidationFailed(
                _("Give your household's total income per month (0 if none)."),
                field="monthly_income",
            )
        draft.circumstances = circumstances
        draft.monthly_income = monthly_income
        draft.income_note = income_note.strip()[:300]
        draft.temporary_reason = temporary_reason
        draft.circumstances_saved_at = timezone.now()
        draft.save()
        _audit(
            actor,
            "assistance.draft.circumstances",
            draft,
            monthly_income=str(monthly_income) if monthly_income is not None else None,
            temporary_reason=temporary_reason,
        )
    return draft


def draft_attach(
    *,
    actor: User,
    draft: ApplicationDraft,
    document: str,
    file: IO[bytes],
    file_name: str | None = None,
) -> Attachment:
    """Add an uploaded file for one of the programme's documents (or "other") to the draft.

    The documents kernel checks the file's real type, its size and that it is not already
    attached; a refused file leaves nothing behind.
    """
    allowed = required_uploads(draft.programme)
    if document not in allowed and document != "":
        raise ValidationFailed(_("Choose which document this file is."), field="document")
    with transaction.atomic():
        draft = _locked_draft(actor, draft)
        _open_for_changes(draft)
        attachment = attachment_add(
            actor=actor, target=draft, kind=_kind(document), file=file, file_name=file_name
        )
        uploaded = dict(draft.uploaded_documents)
        uploaded.setdefault(document, []).append(attachment.pk)
        draft.uploaded_documents = uploaded
        draft.save(update_fields=["uploaded_documents", "updated_at"])
    return attachment


def authorisation_text(*, household: Household, programme: Programme) -> str:
    """The text of the verification authorisation (授权书) each adult member agrees to."""
    return _(
        "I agree that the civil-affairs department checks, for the application of my "
        "household for %(programme)s, the income and property of my household with the "
        "departments and institutions that hold them (social insurance, real estate, "
        "vehicles, business registration, bank deposits, housing fund, tax and others), "
        "and that it uses the results only to decide this application and to review it "
        "later. I confirm that what my household declared is true."
    ) % {"programme": programme.name}


def draft_authorise(
    *,
    actor: User,
    draft: ApplicationDraft,
    person_ids: Iterable[int],
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[VerificationAuthorisation]:
    """Record the consent of every adult member to the economic-status verification.

    The applicant ticks each adult member; all of them must be ticked. Each consent keeps
    the text shown, who ticked it, when, and from which address and browser.
    """
    ticked = {int(pk) for pk in person_ids}
    with transaction.atomic():
        draft = _locked_draft(actor, draft)
        _open_for_changes(draft)
        adults = adult_members(household=draft.household)
        missing = [person for person in adults if person.pk not in ticked]
        if missing:
            raise ValidationFailed(
                _("Every adult member must agree to the verification; not yet ticked: %(names)s.")
                % {"names": "、".join(mask_name(person.name) for person in missing)},
                field="members",
                code="authorisation_incomplete",
            )
        text = authorisation_text(household=draft.household, programme=draft.programme)
        digest = hashlib.sha256(text.encode()).hexdigest()
        now = timezone.now()
        already = set(draft.authorisations.values_list("person_id", flat=True))
        created = [
            VerificationAuthorisation.objects.create(
                draft=draft,
                person=person,
                text=text,
                text_sha256=digest,
                consented_by=actor,
                consented_at=now,
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:300],
            )
            for person in adults
            if person.pk not in already
        ]
        draft.save(update_fields=["updated_at"])  # a change: keeps it from the clean-up
        _audit(
            actor,
            "assistance.authorisation.sign",
            draft,
            persons=[person.pk for person in adults],
            text_sha256=digest,
            user_agent=(user_agent or "")[:300],
        )
    return created


def _missing_authorisations(draft: ApplicationDraft) -> list[Person]:
    signed = set(draft.authorisations.values_list("person_id", flat=True))
    return [
        person for person in adult_members(household=draft.household) if person.pk not in signed
    ]


def _description(draft: ApplicationDraft) -> str:
    """The application's circumstances: what the resident wrote, with the declared income."""
    lines = [draft.circumstances]
    if draft.monthly_income is not None:
        lines.append(
            _("Declared household income per month: %(amount)s yuan")
            % {"amount": f"{draft.monthly_income:.2f}"}
        )
    if draft.income_note:
        lines.append(_("Income from: %(note)s") % {"note": draft.income_note})
    if draft.temporary_reason:
        lines.append(
            _("Reason: %(reason)s") % {"reason": TemporaryReason(draft.temporary_reason).label}
        )
    return "\n".join(lines)


def draft_submit(*, actor: User, draft: ApplicationDraft) -> AssistanceApplication:
    """File the draft as an online application (once), with its documents and authorisations.

    Needs the circumstances and every adult member's authorisation. A draft already filed
    returns its application: a double submit files one application.
    """
    with transaction.atomic():
        draft = _locked_draft(actor, draft)
        if draft.application_id is not None:
            return AssistanceApplication.objects.get(pk=draft.application_id)
        if draft.circumstances_saved_at is None:
            raise ValidationFailed(
                _("Describe your household's situation first."), field="circumstances"
            )
        missing = _missing_authorisations(draft)
        if missing:
            raise ValidationFailed(
                _("Every adult member must agree to the verification; not yet ticked: %(names)s.")
                % {"names": "、".join(mask_name(person.name) for person in missing)},
                field="members",
                code="authorisation_incomplete",
            )
        documents = [name for name, ids in draft.uploaded_documents.items() if name and ids]
        documents.append(AUTHORISATION_DOCUMENT)
        try:
            application = application_submit(
                actor=actor,
                programme=draft.programme,
                household=draft.household,
                channel=ApplicationChannel.ONLINE,
                description=_description(draft),
                documents=documents,
            )
        except Conflict:
            draft.refresh_from_db()
            if draft.application_id is not None:  # filed meanwhile by a parallel submit
                return AssistanceApplication.objects.get(pk=draft.application_id)
            raise
        # The draft's files become the application's: the documents kernel keeps no
        # service for re-targeting an attachment, so the rows are re-pointed here, in the
        # same transaction, with the audit event below listing them.
        moved = list(
            Attachment.objects.filter(
                content_type=ContentType.objects.get_for_model(ApplicationDraft),
                object_id=draft.pk,
            ).values_list("pk", flat=True)
        )
        Attachment.objects.filter(pk__in=moved).update(
            content_type=ContentType.objects.get_for_model(AssistanceApplication),
            object_id=application.pk,
            case_number=application.case_number,
        )
        draft.authorisations.update(application=application)
        draft.application = application
        draft.submitted_at = timezone.now()
        draft.save(update_fields=["application", "submitted_at", "updated_at"])
        _audit(
            actor,
            "assistance.draft.submit",
            draft,
            application=application.pk,
            case_number=application.case_number,
            attachments=moved,
        )
    return application


def application_resubmit_online(
    *,
    actor: User,
    application: AssistanceApplication,
    files: Sequence[tuple[str, IO[bytes], str]],
) -> AssistanceApplication:
    """Send the documents a returned application misses and resubmit it, in one step.

    `files` holds (document, file, file name). Every file is checked; if one is refused,
    nothing is kept and the application stays returned.
    """
    if not files:
        raise ValidationFailed(_("Choose at least one file to send."), field="files")
    added: list[Attachment] = []
    try:
        with transaction.atomic():
            locked = (
                AssistanceApplication.objects.select_for_update()
                .select_related("programme")
                .get(pk=application.pk)
            )
            if locked.state != "returned":
                raise Conflict(
                    _("This application is not waiting for documents."), code="not_returned"
                )
            for document, file, name in files:
                added.append(
                    attachment_add(
                        actor=actor,
                        target=locked,
                        kind=_kind(document),
                        file=file,
                        file_name=name,
                    )
                )
            documents = sorted({document for document, _file, _name in files if document})
            application = application_resubmit(actor=actor, application=locked, documents=documents)
    except Exception:
        for attachment in added:  # the rows rolled back; remove their stored files too
            attachment.file.delete(save=False)
        raise
    return application


def application_withdraw_online(
    *, actor: User, application: AssistanceApplication, reason: str = ""
) -> AssistanceApplication:
    """The resident who filed an open application withdraws it (撤回申请), with an optional
    reason, through the casework `withdraw` transition (its step and audit event).

    Another household's application is NotFound, as on the progress page. The row is locked
    before the state is read, so a double submit withdraws once: the second call gets a
    Conflict with code "already_withdrawn" and writes nothing.
    """
    reason = (reason or "").strip()
    if len(reason) > MAX_WITHDRAW_REASON:
        raise ValidationFailed(
            _("The reason may have at most %(count)d characters.") % {"count": MAX_WITHDRAW_REASON},
            field="reason",
        )
    with transaction.atomic():
        visible = resident_application_get(actor=actor, application_id=application.pk)
        locked = (
            AssistanceApplication.objects.select_for_update()
            .select_related("programme")
            .get(pk=visible.pk)
        )
        refusal = withdraw_refusal(actor=actor, application=locked)
        if refusal is not None:
            raise refusal
        return application_withdraw(actor=actor, application=locked, reason=reason)


@dataclass(frozen=True)
class DraftPurge:
    """What one clean-up run removed (or, in a dry run, would remove)."""

    drafts: int = 0
    attachments: int = 0
    authorisations: int = 0
    files: int = 0
    cutoff: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _listed(name: str, ids: list[int]) -> dict[str, Any]:
    """``{name: the first PURGE_AUDIT_IDS ids}``, and ``{name}_not_listed: how many more``."""
    listed: dict[str, Any] = {name: ids[:PURGE_AUDIT_IDS]}
    if len(ids) > PURGE_AUDIT_IDS:
        listed[f"{name}_not_listed"] = len(ids) - PURGE_AUDIT_IDS
    return listed


def _chunks(ids: list[int], size: int = PURGE_CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _delete_stored_files(names: list[str]) -> None:
    """Remove stored files after the rows are gone (called on commit; a failure is logged)."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("assistance.draft.purge: could not delete the stored file %s", name)


def drafts_purge_abandoned(
    *,
    older_than_days: int | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> DraftPurge:
    """Delete the drafts never submitted and unchanged for `older_than_days`
    (ASSISTANCE_DRAFT_RETENTION_DAYS, 30), with their attachments and unsubmitted
    authorisations; one audit event `assistance.draft.purge` per run that removes any.

    Steps, in one transaction (nothing is removed if one fails):
    1. select the abandoned drafts, locking them and skipping any a resident is saving
       right now (PostgreSQL; SQLite serialises writers anyway);
    2. per chunk of drafts, delete in bulk their attachment rows, their authorisations and
       the drafts themselves (set-based statements, no per-draft loop);
    3. keep a stored file that another attachment or issued document still uses; the
       others are deleted from storage after commit, so a rolled-back run loses no file.
    A second run finds nothing and writes nothing. `dry_run` only counts.
    """
    days = settings.ASSISTANCE_DRAFT_RETENTION_DAYS if older_than_days is None else older_than_days
    if int(days) < 1:
        raise ValidationFailed(
            _("Drafts are kept at least 1 day; give a number of days of 1 or more."),
            field="older_than_days",
        )
    cutoff = (now or timezone.now()) - dt.timedelta(days=int(days))
    draft_type = ContentType.objects.get_for_model(ApplicationDraft)
    if dry_run:
        candidates = abandoned_drafts(changed_before=cutoff)
        return DraftPurge(
            drafts=candidates.count(),
            attachments=Attachment.objects.filter(
                content_type=draft_type, object_id__in=candidates.values("pk")
            ).count(),
            authorisations=VerificationAuthorisation.objects.filter(
                draft__in=candidates.values("pk"), application__isnull=True
            ).count(),
            cutoff=cutoff.isoformat(),
        )
    with transaction.atomic():
        ids = list(
            abandoned_drafts(changed_before=cutoff)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return DraftPurge(cutoff=cutoff.isoformat())
        attachment_ids: list[int] = []
        names: set[str] = set()
        authorisations = drafts = 0
        for chunk in _chunks(ids):
            attachments = Attachment.objects.filter(content_type=draft_type, object_id__in=chunk)
            for pk, name in attachments.values_list("pk", "file"):
                attachment_ids.append(pk)
                names.add(name)
            attachments.delete()
            authorisations += VerificationAuthorisation.objects.filter(
                draft_id__in=chunk, application__isnull=True
            ).delete()[0]
            drafts += ApplicationDraft.objects.filter(
                pk__in=chunk, application__isnull=True
            ).delete()[0]
        still_used = set(
            Attachment.objects.filter(file__in=names).values_list("file", flat=True)
        ) | set(IssuedDocument.objects.filter(file__in=names).values_list("file", flat=True))
        doomed = sorted(name for name in names - still_used if name)
        result = DraftPurge(
            drafts=drafts,
            attachments=len(attachment_ids),
            authorisations=authorisations,
            files=len(doomed),
            cutoff=cutoff.isoformat(),
        )
        audit_record(
            actor=None,
            action="assistance.draft.purge",
            object_type=ApplicationDraft._meta.label_lower,
            changes={
                **result.as_dict(),
                "older_than_days": int(days),
                **_listed("draft_ids", sorted(ids)),
                **_listed("attachment_ids", sorted(attachment_ids)),
                "files_kept": len(names) - len(doomed),
            },
        )
        transaction.on_commit(lambda: _delete_stored_files(doomed))
    return result


def resident_link(*, actor: User, id_number: str = "") -> Person:
    """Link an unlinked resident account to its person in the register.

    The phone the resident logged in with (proved by the one-time code) is matched to the
    phones recorded in the register. When more than one living person has that phone, the
    resident gives their ID number, which is compared through its blind index: it is never
    stored or logged in clear. A person already linked to another resident account is not
    linked again.
    """
    if getattr(actor, "kind", None) != UserKind.RESIDENT:
        raise PermissionRefused(_("Only resident accounts are linked to the register."))
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=actor.pk)
        if account.person_id is not None:
            raise Conflict(_("Your account is linked already."), code="already_linked")
        candidates = list(
            Person.objects.filter(phone=account.phone, death_date__isnull=True).order_by("id")
        )
        if not candidates:
            raise ValidationFailed(
                _(
                    "No record of the register has your phone number. Please bring your ID "
                    "card to the civil-affairs window of your town or street office."
                ),
                code="phone_not_in_register",
            )
        if len(candidates) > 1 or id_number.strip():
            if not id_number.strip():
                raise ValidationFailed(
                    _("Several people use this phone number: enter your ID number."),
                    code="id_number_needed",
                    field="id_number",
                )
            try:
                number = parse_id_number(id_number).value
            except IdNumberError as error:
                raise ValidationFailed(error.message, code=error.code, field="id_number") from None
            digest = crypto.blind_index(number, purpose=ID_NUMBER_PURPOSE)
            candidates = [p for p in candidates if p.id_number_digest == digest]
            if not candidates:
                raise ValidationFailed(
                    _("The ID number does not match a person with your phone number."),
                    code="id_number_mismatch",
                    field="id_number",
                )
        person = candidates[0]
        if (
            User.objects.filter(kind=UserKind.RESIDENT, person=person)
            .exclude(pk=account.pk)
            .exists()
        ):
            raise Conflict(
                _(
                    "Your record is linked to another account. Please contact the "
                    "civil-affairs office of your town."
                ),
                code="person_linked_elsewhere",
            )
        account.person = person
        if not account.full_name:
            account.full_name = person.name
        account.save(update_fields=["person", "full_name"])
        audit_record(
            actor=account,
            action="accounts.resident.link",
            obj=account,
            changes={"person": person.pk, "by_id_number": bool(id_number.strip())},
        )
    actor.person = person
    return person
