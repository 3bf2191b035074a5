"""码上办 pages: apply online step by step, follow an application, send missing documents."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minzheng.common import crypto
from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import (
    ApplicationDraft,
    ApplicationState,
    AssistanceApplication,
    Programme,
    VerificationAuthorisation,
)
from minzheng.kernel.accounts.models import User, UserKind
from minzheng.kernel.documents.models import Attachment
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "https://minzheng.jiaxing.example"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pdf(name: str = "id.pdf", text: str = "id card") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n% " + text.encode() + b"\n%%EOF\n")


def exe(name: str = "hukou.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200)


def adult_ids(world) -> list[int]:
    family = world.families["xinjia"]
    return [family.head.pk, family.members[1].pk]


@pytest.fixture
def resident(client, world):
    client.force_login(world.resident)
    return world.resident


def start(client, code: str = "dibao") -> ApplicationDraft:
    response = client.post(reverse("portal:apply_start", kwargs={"code": code}))
    assert response.status_code == 302, response.content.decode()
    return ApplicationDraft.objects.get(programme__code=code, application__isnull=True)


def walk_to_review(client, world, code: str = "dibao") -> ApplicationDraft:
    """Start a draft and fill every step through the pages."""
    draft = start(client, code)
    token = draft.token
    response = client.post(
        reverse("portal:apply_situation", kwargs={"token": token}),
        {
            "circumstances": "丈夫失业，妻子患病",
            "monthly_income": "800",
            "income_note": "零工",
            "temporary_reason": "illness",
        },
    )
    assert response.status_code == 302, response.content.decode()
    response = client.post(
        reverse("portal:apply_documents", kwargs={"token": token}),
        {"document": "居民身份证", "file": pdf()},
    )
    assert response.status_code == 302, response.content.decode()
    response = client.post(
        reverse("portal:apply_authorisation", kwargs={"token": token}),
        {"members": adult_ids(world)},
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14)",
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 302, response.content.decode()
    return draft


# -- access ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name,kwargs",
    [
        ("portal:apply", {}),
        ("portal:application", {"application_id": 1}),
        ("portal:apply_situation", {"token": "6f1c1f0e-7a56-4bb5-8d43-2d1b3c9a0f11"}),
    ],
)
def test_pages_need_a_resident_login(client, world, url_name, kwargs):
    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_home_lists_the_household_applications_and_offers_to_apply(client, resident, world):
    walk_to_review(client, world)
    client.post(
        reverse("portal:apply_review", kwargs={"token": ApplicationDraft.objects.get().token})
    )
    application = AssistanceApplication.objects.get()

    page = client.get(reverse("portal:home")).content.decode()

    assert application.case_number in page
    assert "Submitted" in page
    assert "The civil-affairs office of your town checks your documents" in page
    assert reverse("portal:apply") in page


# -- the apply flow --------------------------------------------------------------------


def test_the_full_flow_files_one_application_with_authorisation_and_files(client, resident, world):
    draft = walk_to_review(client, world)
    review = client.get(reverse("portal:apply_review", kwargs={"token": draft.token}))
    assert "Signed by every adult member" in review.content.decode()

    response = client.post(reverse("portal:apply_review", kwargs={"token": draft.token}))

    application = AssistanceApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:application", kwargs={"application_id": application.pk}
    )
    assert application.channel == "online" and application.state == ApplicationState.SUBMITTED
    assert application.submitted_by == resident
    signed = VerificationAuthorisation.objects.filter(application=application)
    assert sorted(signed.values_list("person_id", flat=True)) == sorted(adult_ids(world))
    assert {s.user_agent for s in signed} == {"Mozilla/5.0 (Linux; Android 14)"}
    assert {s.ip_address for s in signed} == {"10.9.8.7"}
    files = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(AssistanceApplication),
        object_id=application.pk,
    )
    assert [f.original_name for f in files] == ["id.pdf"]


def test_a_double_post_files_one_application(client, resident, world):
    draft = walk_to_review(client, world)
    url = reverse("portal:apply_review", kwargs={"token": draft.token})

    first = client.post(url)
    second = client.post(url)

    assert AssistanceApplication.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_an_open_application_is_refused_clearly(client, resident, world):
    draft = walk_to_review(client, world)
    client.post(reverse("portal:apply_review", kwargs={"token": draft.token}))
    application = AssistanceApplication.objects.get()

    response = client.post(reverse("portal:apply_start", kwargs={"code": "dibao"}))

    assert response.status_code == 409
    page = response.content.decode()
    assert "already has an open application" in page
    assert application.case_number in page
    assert reverse("portal:application", kwargs={"application_id": application.pk}) in page
    assert ApplicationDraft.objects.filter(application__isnull=True).count() == 0


def test_a_bad_file_gets_a_message_and_nothing_is_saved(client, resident, world):
    draft = start(client)

    response = client.post(
        reverse("portal:apply_documents", kwargs={"token": draft.token}),
        {"document": "户口簿", "file": exe()},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a file this document takes" in page
    assert "hukou.pdf" in page
    assert not Attachment.objects.exists()
    draft.refresh_from_db()
    assert draft.uploaded_documents == {}


def test_a_file_too_large_gets_a_message(client, resident, world, settings):
    settings.DOCUMENTS_MAX_UPLOAD_MB = 1
    draft = start(client)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (2**20 + 10))

    response = client.post(
        reverse("portal:apply_documents", kwargs={"token": draft.token}),
        {"document": "户口簿", "file": big},
    )

    assert response.status_code == 400
    assert "is larger than 1 MB" in response.content.decode()
    assert not Attachment.objects.exists()


def test_authorisation_lists_every_adult_and_needs_each_tick(client, resident, world):
    draft = start(client)
    url = reverse("portal:apply_authorisation", kwargs={"token": draft.token})
    family = world.families["xinjia"]

    page = client.get(url).content.decode()
    assert f'value="{family.head.pk}"' in page and f'value="{family.members[1].pk}"' in page
    assert f'value="{family.members[2].pk}"' not in page  # the child is a minor
    assert "I agree that the civil-affairs department checks" in page

    response = client.post(url, {"members": [family.head.pk]})

    assert response.status_code == 200
    assert "Every adult member must agree" in response.content.decode()
    assert not VerificationAuthorisation.objects.exists()


def test_temporary_assistance_asks_for_the_reason(client, resident, world):
    draft = start(client, "temporary")
    url = reverse("portal:apply_situation", kwargs={"token": draft.token})

    response = client.post(url, {"circumstances": "家中失火"})

    assert response.status_code == 200
    assert "Choose why your household needs temporary assistance." in response.content.decode()
    draft.refresh_from_db()
    assert draft.circumstances_saved_at is None


# -- following an application ----------------------------------------------------------


def submitted(client, world) -> AssistanceApplication:
    draft = walk_to_review(client, world)
    client.post(reverse("portal:apply_review", kwargs={"token": draft.token}))
    return AssistanceApplication.objects.get()


def test_progress_page_shows_steps_case_number_and_qr(client, resident, world):
    application = submitted(client, world)

    response = client.get(reverse("portal:application", kwargs={"application_id": application.pk}))

    page = response.content.decode()
    assert response.status_code == 200
    assert application.case_number in page
    assert "Application submitted" in page
    assert 'src="data:image/png;base64,' in page
    assert f"/v/?case_number={application.case_number}" in page


def test_another_households_application_is_not_found(client, world):
    application = submitted_by_other(world)
    client.force_login(world.resident)

    response = client.get(reverse("portal:application", kwargs={"application_id": application.pk}))

    assert response.status_code == 404
    assert application.case_number not in response.content.decode()
    page = client.get(reverse("portal:home")).content.decode()
    assert application.case_number not in page


def submitted_by_other(world) -> AssistanceApplication:
    other = User.objects.create(
        username="resident-13900000021",
        phone="13900000021",
        kind=UserKind.RESIDENT,
        person=world.families["wangdian"].head,
    )
    return services.application_submit(
        actor=other,
        programme=Programme.objects.get(code="dibao"),
        household=world.families["wangdian"].household,
        channel="online",
        description="困难",
    )


def test_a_returned_application_is_completed_and_sent_again(client, resident, world):
    application = submitted(client, world)
    services.application_return(
        actor=world.town_clerk,
        application=application,
        missing=["户口簿", "收入情况说明"],
        reason="缺材料",
    )
    url = reverse("portal:application", kwargs={"application_id": application.pk})
    page = client.get(url).content.decode()
    assert "Documents requested" in page and "户口簿" in page and "收入情况说明" in page

    response = client.post(
        reverse("portal:application_resubmit", kwargs={"application_id": application.pk}),
        {"document_0": pdf("hukou.pdf", "hukou"), "document_1": pdf("income.pdf", "income")},
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.missing_documents == []
    page = client.get(url).content.decode()
    assert "Documents sent again" in page


def test_a_bad_file_on_resubmit_keeps_the_application_returned(client, resident, world):
    application = submitted(client, world)
    services.application_return(
        actor=world.town_clerk, application=application, missing=["户口簿"], reason="缺材料"
    )

    response = client.post(
        reverse("portal:application_resubmit", kwargs={"application_id": application.pk}),
        {"document_0": exe()},
    )

    assert response.status_code == 400
    assert "is not a file this document takes" in response.content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.RETURNED
    assert Attachment.objects.count() == 1  # only the ID card of the original application


# -- the public status page ------------------------------------------------------------


def test_public_status_by_case_number_shows_no_personal_data(client, resident, world):
    application = submitted(client, world)
    client.logout()

    response = client.get(reverse("documents:lookup"), {"case_number": application.case_number})

    page = response.content.decode()
    assert response.status_code == 200
    status = re.search(r'data-field="status"><strong>([^<]+)<', page)
    assert status is not None and status.group(1) in ("Submitted", "已提交")
    family = world.families["xinjia"]
    for person in family.members:
        assert person.name not in page
        assert person.name[0] + "*" not in page
        assert person.id_number_masked not in page
        full = crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
        assert full not in page
    assert family.household.address not in page
    assert "13900000011" not in page


def test_another_households_draft_is_not_found(client, resident, world):
    draft = start(client)
    other = User.objects.create(
        username="resident-13900000021",
        phone="13900000021",
        kind=UserKind.RESIDENT,
        person=world.families["wangdian"].head,
    )
    client.force_login(other)

    for name in ("portal:apply_situation", "portal:apply_documents", "portal:apply_review"):
        response = client.get(reverse(name, kwargs={"token": draft.token}))
        assert response.status_code == 404, name
    response = client.post(reverse("portal:apply_review", kwargs={"token": draft.token}))
    assert response.status_code == 404
    assert not AssistanceApplication.objects.exists()
