"""The resident portal's writes and reads (码上办): drafts, authorisations, filing once,
sending missing documents, the resident-safe timeline and the public case status."""

from __future__ import annotations

import io
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.utils import translation

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import (
    ApplicationDraft,
    ApplicationState,
    AssistanceApplication,
    VerificationAuthorisation,
)
from minzheng.domains.assistance.selectors import portal as portal_selectors
from minzheng.domains.assistance.services import portal
from minzheng.domains.assistance.tests.test_casework_support import cast, programme
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.documents.models import Attachment
from minzheng.kernel.documents.selectors import case_status_lookup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "https://minzheng.jiaxing.example"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def c(world):
    return cast(world)


def pdf(text: str = "income 1200") -> io.BytesIO:
    return io.BytesIO(b"%PDF-1.7\n% " + text.encode() + b"\n%%EOF\n")


def exe() -> io.BytesIO:
    return io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def adults(c) -> list[int]:
    family = c.world.families["xinjia"]
    return [family.head.pk, family.members[1].pk]  # the child (born 2012) is a minor


def ready_draft(c, code: str = "dibao") -> ApplicationDraft:
    """A dibao (or temporary) draft with circumstances, one document and all consents."""
    draft = portal.draft_start(actor=c.resident, programme=programme(code))
    portal.draft_save_circumstances(
        actor=c.resident,
        draft=draft,
        circumstances="丈夫失业，妻子患病",
        monthly_income=Decimal("800"),
        income_note="零工",
        temporary_reason="illness" if code == "temporary" else "",
    )
    portal.draft_attach(actor=c.resident, draft=draft, document="居民身份证", file=pdf("id"))
    portal.draft_authorise(
        actor=c.resident,
        draft=draft,
        person_ids=adults(c),
        ip_address="10.1.2.3",
        user_agent="Mozilla/5.0 (iPhone)",
    )
    return draft


def test_the_whole_draft_files_one_online_application(c):
    draft = ready_draft(c)

    application = portal.draft_submit(actor=c.resident, draft=draft)

    assert application.state == ApplicationState.SUBMITTED
    assert application.channel == "online"
    assert application.applicant == c.resident.person
    assert "丈夫失业" in application.description and "800.00" in application.description
    assert set(application.documents_received) == {"居民身份证", "家庭经济状况核对授权书"}
    # The draft's file is now the application's, under its case number.
    attachment = Attachment.objects.get()
    assert attachment.content_type == ContentType.objects.get_for_model(AssistanceApplication)
    assert attachment.object_id == application.pk
    assert attachment.case_number == application.case_number
    signed = VerificationAuthorisation.objects.filter(application=application)
    assert sorted(signed.values_list("person_id", flat=True)) == sorted(adults(c))
    first = signed.first()
    assert first.ip_address == "10.1.2.3" and first.user_agent == "Mozilla/5.0 (iPhone)"
    assert first.consented_by == c.resident and len(first.text_sha256) == 64
    assert AuditEvent.objects.filter(action="assistance.draft.submit").count() == 1
    assert AuditEvent.objects.filter(action="assistance.authorisation.sign").count() == 1


def test_submitting_twice_files_one_application(c):
    draft = ready_draft(c)

    first = portal.draft_submit(actor=c.resident, draft=draft)
    second = portal.draft_submit(actor=c.resident, draft=draft)

    assert first.pk == second.pk
    assert AssistanceApplication.objects.count() == 1


def test_starting_twice_continues_the_same_draft(c):
    first = portal.draft_start(actor=c.resident, programme=programme("dibao"))
    second = portal.draft_start(actor=c.resident, programme=programme("dibao"))

    assert first.pk == second.pk
    assert ApplicationDraft.objects.count() == 1


def test_an_open_application_refuses_a_new_draft(c):
    application = portal.draft_submit(actor=c.resident, draft=ready_draft(c))

    with pytest.raises(Conflict) as refusal:
        portal.draft_start(actor=c.resident, programme=programme("dibao"))

    assert refusal.value.code == "application_open"
    assert application.case_number in refusal.value.message
    # Another programme is still open to the household.
    assert portal.draft_start(actor=c.resident, programme=programme("temporary"))


def test_only_dibao_and_temporary_are_offered_online(c):
    with pytest.raises(ValidationFailed):
        portal.draft_start(actor=c.resident, programme=programme("tekun"))
    assert [p.code for p in portal_selectors.portal_programmes()] == ["dibao", "temporary"]


def test_staff_and_unlinked_residents_cannot_start(c, world):
    with pytest.raises(PermissionRefused):
        portal.draft_start(actor=world.town_clerk, programme=programme("dibao"))
    world.resident.person = None
    with pytest.raises(PermissionRefused) as refusal:
        portal.draft_start(actor=world.resident, programme=programme("dibao"))
    assert refusal.value.code == "no_household"


def test_every_adult_must_consent(c):
    draft = portal.draft_start(actor=c.resident, programme=programme("dibao"))

    with pytest.raises(ValidationFailed) as refusal:
        portal.draft_authorise(actor=c.resident, draft=draft, person_ids=adults(c)[:1])

    assert refusal.value.code == "authorisation_incomplete"
    assert "李*张" in refusal.value.message  # the spouse, masked
    assert not VerificationAuthorisation.objects.exists()


def test_submit_needs_circumstances_and_consents(c):
    draft = portal.draft_start(actor=c.resident, programme=programme("dibao"))
    with pytest.raises(ValidationFailed):
        portal.draft_submit(actor=c.resident, draft=draft)
    portal.draft_save_circumstances(
        actor=c.resident, draft=draft, circumstances="失业", monthly_income=Decimal(0)
    )
    with pytest.raises(ValidationFailed) as refusal:
        portal.draft_submit(actor=c.resident, draft=draft)

    assert refusal.value.code == "authorisation_incomplete"
    assert not AssistanceApplication.objects.exists()


def test_temporary_assistance_needs_a_reason(c):
    draft = portal.draft_start(actor=c.resident, programme=programme("temporary"))

    with pytest.raises(ValidationFailed) as refusal:
        portal.draft_save_circumstances(actor=c.resident, draft=draft, circumstances="火灾")
    assert refusal.value.field == "temporary_reason"

    portal.draft_save_circumstances(
        actor=c.resident, draft=draft, circumstances="火灾", temporary_reason="accident"
    )
    draft.refresh_from_db()
    assert draft.temporary_reason == "accident"


def test_a_bad_file_is_refused_and_nothing_is_kept(c, settings):
    draft = portal.draft_start(actor=c.resident, programme=programme("dibao"))

    with pytest.raises(ValidationFailed) as refusal:
        portal.draft_attach(
            actor=c.resident, draft=draft, document="户口簿", file=exe(), file_name="hukou.pdf"
        )

    assert refusal.value.code == "file_type_refused"
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    draft.refresh_from_db()
    assert draft.uploaded_documents == {}


def test_another_household_cannot_touch_the_draft(c, world):
    draft = portal.draft_start(actor=c.resident, programme=programme("dibao"))
    from minzheng.kernel.accounts.models import User, UserKind

    other = User.objects.create(
        username="resident-13900000021",
        phone="13900000021",
        kind=UserKind.RESIDENT,
        person=world.families["wangdian"].head,
    )

    with pytest.raises(NotFound):
        portal_selectors.draft_get(actor=other, token=str(draft.token))
    with pytest.raises(NotFound):
        portal.draft_save_circumstances(
            actor=other, draft=draft, circumstances="x", monthly_income=Decimal(0)
        )


def test_a_returned_application_is_completed_and_resubmitted(c, settings):
    application = portal.draft_submit(actor=c.resident, draft=ready_draft(c))
    services.application_return(
        actor=c.clerk, application=application, missing=["户口簿", "收入情况说明"], reason="缺材料"
    )

    application = portal.application_resubmit_online(
        actor=c.resident,
        application=application,
        files=[("户口簿", pdf("hukou"), "hukou.pdf"), ("收入情况说明", pdf("income"), "i.pdf")],
    )

    assert application.state == ApplicationState.SUBMITTED
    assert application.missing_documents == []
    assert {"户口簿", "收入情况说明"} <= set(application.documents_received)
    assert Attachment.objects.filter(object_id=application.pk).count() == 3


def test_a_bad_file_leaves_the_returned_application_untouched(c, settings):
    application = portal.draft_submit(actor=c.resident, draft=ready_draft(c))
    services.application_return(
        actor=c.clerk, application=application, missing=["户口簿", "收入情况说明"], reason="缺材料"
    )
    before = len(stored_files(settings))

    with pytest.raises(ValidationFailed):
        portal.application_resubmit_online(
            actor=c.resident,
            application=application,
            files=[("户口簿", pdf("hukou"), "hukou.pdf"), ("收入情况说明", exe(), "i.pdf")],
        )

    application.refresh_from_db()
    assert application.state == ApplicationState.RETURNED
    assert Attachment.objects.count() == 1
    assert len(stored_files(settings)) == before


def test_the_resident_timeline_names_offices_not_staff(c):
    application = portal.draft_submit(actor=c.resident, draft=ready_draft(c))
    services.application_return(
        actor=c.clerk, application=application, missing=["户口簿"], reason="内部备注：缺户口簿"
    )

    steps = portal_selectors.resident_timeline(actor=c.resident, application=application)

    assert [s.label for s in steps] == ["Application submitted", "Returned: documents missing"]
    assert steps[0].office == "You"
    assert steps[1].office == "Civil-affairs office of the town"
    assert steps[1].detail == "户口簿"
    text = " ".join(f"{s.label} {s.office} {s.detail}" for s in steps)
    assert c.clerk.full_name not in text and "内部备注" not in text


def test_the_public_status_of_a_case_number_is_a_label_only(c):
    application = portal.draft_submit(actor=c.resident, draft=ready_draft(c))

    status = case_status_lookup(case_number=application.case_number)

    assert status is not None
    assert status.status == "Submitted"
    assert status.case_number == application.case_number
    shown = f"{status.status} {status.title} {status.authority}"
    assert c.resident.person.name not in shown
    assert c.world.families["xinjia"].household.address not in shown


# -- linking a resident account to the register ------------------------------------------


def unlinked(phone: str):
    from minzheng.kernel.accounts.models import User, UserKind

    return User.objects.create(username=f"resident-{phone}", phone=phone, kind=UserKind.RESIDENT)


def full_id_number(person) -> str:
    from minzheng.common import crypto
    from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

    return crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)


def test_an_unlinked_account_is_linked_by_its_phone(world):
    account = unlinked("13900000021")  # the phone of 王建国 in the register

    person = portal.resident_link(actor=account)

    account.refresh_from_db()
    assert person == world.families["wangdian"].head
    assert account.person == person and account.full_name == "王建国"
    assert AuditEvent.objects.filter(action="accounts.resident.link").count() == 1


def test_a_shared_phone_asks_for_the_id_number_and_checks_it(world):
    from minzheng.kernel.people.models import Person

    family = world.families["wangdian"]
    Person.objects.filter(pk=family.members[1].pk).update(phone="13900000021")
    account = unlinked("13900000021")

    with pytest.raises(ValidationFailed) as needed:
        portal.resident_link(actor=account)
    assert needed.value.code == "id_number_needed"
    with pytest.raises(ValidationFailed) as mismatch:
        portal.resident_link(actor=account, id_number=full_id_number(world.families["xinjia"].head))
    assert mismatch.value.code == "id_number_mismatch"
    with pytest.raises(ValidationFailed) as malformed:
        portal.resident_link(actor=account, id_number="12345")
    assert malformed.value.field == "id_number"

    spouse_id = full_id_number(family.members[1])
    person = portal.resident_link(actor=account, id_number=spouse_id.lower())

    assert person == family.members[1]
    event = AuditEvent.objects.get(action="accounts.resident.link")
    assert spouse_id not in str(event.changes) and event.changes["by_id_number"] is True


def test_no_record_with_the_phone_is_refused(world):
    with pytest.raises(ValidationFailed) as refusal:
        portal.resident_link(actor=unlinked("13812345678"))

    assert refusal.value.code == "phone_not_in_register"


def test_a_person_linked_to_another_account_is_not_linked_again(world):
    from minzheng.kernel.people.models import Person

    head = world.families["xinjia"].head  # linked to world.resident already
    Person.objects.filter(pk=head.pk).update(phone="13955550000")

    with pytest.raises(Conflict) as refusal:
        portal.resident_link(actor=unlinked("13955550000"))

    assert refusal.value.code == "person_linked_elsewhere"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two real connections with row locks: PostgreSQL only (run in CI)",
)
def test_two_simultaneous_submits_file_one_application(c):
    draft = ready_draft(c)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def submit() -> None:
        try:
            stale = ApplicationDraft.objects.get(pk=draft.pk)
            barrier.wait(timeout=10)
            outcomes.append(portal.draft_submit(actor=c.resident, draft=stale).pk)
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    application = AssistanceApplication.objects.get()
    assert outcomes == [application.pk, application.pk]


def test_the_staff_case_page_lists_the_authorisations_signed_online(c):
    from django.test import Client
    from django.urls import reverse

    from minzheng.common.masking import mask_name

    application = portal.draft_submit(actor=c.resident, draft=ready_draft(c))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(c.clerk)
    page = client.get(reverse("assistance:case", args=[application.case_number]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="authorisations"' in html
    family = c.world.families["xinjia"]
    for member in (family.head, family.members[1]):
        assert mask_name(member.name) in html
        assert member.name not in html  # masked, as everywhere on staff pages
    signed = VerificationAuthorisation.objects.filter(application=application).first()
    assert signed.text_sha256[:12] in html
    # A clerk of another town does not see the case at all.
    other = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    other.force_login(c.world.other_town_clerk)
    assert other.get(reverse("assistance:case", args=[application.case_number])).status_code in (
        403,
        404,
    )
