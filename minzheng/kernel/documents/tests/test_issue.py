"""Issued documents: a PDF with Chinese text, a QR code of the verification page, audit, scope."""

from __future__ import annotations

import hashlib
import io

import pytest
import segno
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.documents import rendering
from minzheng.kernel.documents.models import IssuedDocument
from minzheng.kernel.documents.selectors import document_list
from minzheng.kernel.documents.services import document_download, document_issue, document_revoke

pytestmark = pytest.mark.django_db

BODY = "经审核，你户提出的最低生活保障申请材料齐全，符合受理条件，现予受理。"


def notice_context(world):
    family = world.families["xinjia"]
    return {
        "recipient": family.head.name,
        "paragraphs": [BODY, f"申请人身份证号：{family.head.id_number_masked}"],
        "details": [("家庭住址", family.household.address), ("申请类别", "最低生活保障")],
    }


@pytest.fixture
def issued(world):
    return document_issue(
        actor=world.town_clerk,
        target=world.families["xinjia"].household,
        kind="acceptance",
        template="documents/notices/generic.html",
        context=notice_context(world),
        title="最低生活保障申请受理通知书",
        authority="嘉兴市南湖区新嘉街道办事处",
        case_number="JX-330402-202611-0007",
    )


def pdf_text(document: IssuedDocument) -> str:
    """The PDF's text with line breaks removed (a paragraph wraps across lines)."""
    with document.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def test_the_pdf_holds_the_chinese_text(world, issued):
    text = pdf_text(issued)
    assert "最低生活保障申请受理通知书" in text
    assert BODY in text
    assert "张建国" in text
    assert "嘉兴市南湖区新嘉街道办事处" in text
    assert issued.number in text
    assert "JX-330402-202611-0007" in text
    with translation.override("zh-hans"):
        assert gettext("Scan to verify") in text


def embedded_fonts(document: IssuedDocument) -> set[str]:
    with document.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_the_chinese_text_is_set_in_the_embedded_noto_cjk_fonts(issued):
    """Glyphs come from Noto CJK, embedded as a subset: no tofu boxes on another computer."""
    fonts = embedded_fonts(issued)
    assert any(name.endswith("+Noto-Serif-CJK-SC") for name in fonts), fonts
    assert all("+" in name for name in fonts if "CJK" in name), fonts  # subset tags
    assert issued.size < 2_000_000  # a subset, not the whole 20 MB font collection


def test_the_pdf_is_fixed_by_its_checksum(issued):
    with issued.file.open("rb") as stored:
        data = stored.read()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == issued.sha256
    assert issued.size == len(data)
    assert issued.file.name.startswith("documents/") and issued.file.name.endswith(".pdf")


def test_the_verification_url_is_printed_and_linked(issued):
    url = f"https://minzheng.jiaxing.example/v/{issued.verification_code}/"
    assert rendering.verification_url(issued.verification_code) == url
    # The address is printed in full (text extraction may wrap it across lines).
    assert url in pdf_text(issued)
    with issued.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    links = [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if annotation.get_object().get("/Subtype") == "/Link"
    ]
    assert url in links


def test_the_qr_image_encodes_the_verification_url(issued):
    """Read the QR image back out of the PDF and compare it module by module with segno."""
    url = rendering.verification_url(issued.verification_code)
    with issued.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    images = [image.image for page in reader.pages for image in page.images]
    assert len(images) == 1
    image = images[0].convert("L")
    expected = segno.make(url, error=rendering.QR_ERROR, micro=False)
    modules = expected.symbol_size(scale=1, border=0)[0]
    scale, border = rendering.QR_SCALE, rendering.QR_BORDER
    assert image.size == ((modules + 2 * border) * scale,) * 2
    read = [
        [
            image.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2))
            < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]
    assert read == [[bool(bit) for bit in row] for row in expected.matrix]
    # A different code gives a different matrix: the comparison can fail.
    other = segno.make(rendering.verification_url("x" * 32), error="m", micro=False)
    assert read != [[bool(bit) for bit in row] for row in other.matrix]


def test_codes_are_random_and_long(world):
    household = world.families["xinjia"].household
    codes = {
        document_issue(
            actor=world.town_clerk,
            target=household,
            kind="change",
            template="documents/notices/generic.html",
            context={"paragraphs": ["变更"]},
        ).verification_code
        for _ in range(3)
    }
    assert len(codes) == 3
    for code in codes:
        assert len(code) >= 32  # 24 random bytes in URL-safe base64: 192 bits
        assert reverse("documents:verify", kwargs={"code": code}) == f"/v/{code}/"


def test_issuing_is_audited_without_personal_data(world, issued):
    event = AuditEvent.objects.get(action="documents.document.issue")
    assert event.object_id == str(issued.pk)
    assert event.actor == world.town_clerk
    assert event.changes["sha256"] == issued.sha256
    assert event.changes["case_number"] == "JX-330402-202611-0007"
    assert "张建国" not in str(event.changes)


def test_defaults_title_number_and_authority(world, settings):
    settings.DOCUMENTS_AUTHORITY = "嘉兴市南湖区民政局"
    document = document_issue(
        actor=world.county_approver,
        target=world.families["xinjia"].household,
        kind="approval",
        template="documents/notices/generic.html",
        context={"paragraphs": ["准予"]},
    )
    # Notices are issued in the site's language (Simplified Chinese), whatever the actor's.
    with translation.override("zh-hans"):
        assert document.title == translation.gettext("Notice of approval")
    assert document.title == "批准通知书"
    assert document.authority == "嘉兴市南湖区民政局"
    assert document.number.endswith(f"{document.pk}号")
    assert document.case_number == ""


@pytest.mark.parametrize("persona", ["resident", "village_worker", "auditor"])
def test_who_may_not_issue(world, persona):
    with pytest.raises(PermissionRefused):
        document_issue(
            actor=getattr(world, persona),
            target=world.families["xinjia"].household,
            kind="acceptance",
            template="documents/notices/generic.html",
            context={},
        )
    assert not IssuedDocument.objects.exists()


def test_staff_of_another_town_cannot_issue(world):
    with pytest.raises(NotFound):
        document_issue(
            actor=world.other_town_clerk,
            target=world.families["xinjia"].household,
            kind="acceptance",
            template="documents/notices/generic.html",
            context={},
        )


def test_unknown_kind_is_refused(world):
    with pytest.raises(ValidationFailed):
        document_issue(
            actor=world.town_clerk,
            target=world.families["xinjia"].household,
            kind="medal",
            template="documents/notices/generic.html",
            context={},
        )


def test_revoke_needs_a_reason_and_happens_once(world, issued):
    with pytest.raises(ValidationFailed):
        document_revoke(actor=world.town_clerk, document=issued, reason="  ")
    with pytest.raises(NotFound):
        document_revoke(actor=world.other_town_clerk, document=issued, reason="错误")
    document_revoke(actor=world.town_clerk, document=issued, reason="通知书中金额有误，重新出具")
    issued.refresh_from_db()
    assert issued.revoked and issued.revoked_at is not None
    assert issued.revoked_by == world.town_clerk
    event = AuditEvent.objects.get(action="documents.document.revoke")
    assert event.reason == "通知书中金额有误，重新出具"
    with pytest.raises(Conflict):
        document_revoke(actor=world.town_clerk, document=issued, reason="again")


def test_list_and_download_are_scoped_and_audited(world, issued, client):
    household = world.families["xinjia"].household
    assert list(document_list(actor=world.resident, target=household)) == [issued]
    with pytest.raises(NotFound):
        document_list(actor=world.other_town_clerk, target=household)
    with pytest.raises(NotFound):
        document_download(actor=world.other_town_clerk, document_id=issued.pk)

    url = reverse("documents:document_file", args=[issued.pk])
    client.force_login(world.resident)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == issued.sha256
    assert (
        AuditEvent.objects.filter(
            action="documents.document.download", actor=world.resident
        ).count()
        == 1
    )
    client.force_login(world.other_town_clerk)
    assert client.get(url).status_code == 404
