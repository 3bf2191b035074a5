"""Attachments: what a file really is, its size, duplicates, scope and audited downloads."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.documents.models import Attachment
from minzheng.kernel.documents.selectors import attachment_list
from minzheng.kernel.documents.services import attachment_add, attachment_download

from .conftest import exe_bytes, jpeg_bytes, pdf_bytes, png_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(world):
    return world.families["xinjia"].household


@pytest.mark.parametrize(
    ("data", "name", "file_format", "media_type"),
    [
        (pdf_bytes(), "收入证明.pdf", "pdf", "application/pdf"),
        (jpeg_bytes(), "scan.jpg", "jpeg", "image/jpeg"),
        (png_bytes(), "scan.png", "png", "image/png"),
        # The name lies, the bytes do not: a PNG called .pdf is stored as the PNG it is.
        (png_bytes("green"), "looks-like.pdf", "png", "image/png"),
    ],
)
def test_accepted_formats_are_stored_with_their_checksum(
    world, household, data, name, file_format, media_type
):
    attachment = attachment_add(
        actor=world.town_clerk,
        target=household,
        kind="id_card_copy",
        file=upload(data, name, "application/octet-stream"),
    )
    attachment.refresh_from_db()
    assert (attachment.file_format, attachment.media_type) == (file_format, media_type)
    assert attachment.original_name == name
    assert attachment.size == len(data)
    import hashlib

    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == data
    # Stored under a random name, not the name the browser sent.
    assert name not in attachment.file.name
    assert attachment.file.name.startswith("attachments/")
    assert attachment.uploaded_by == world.town_clerk


def test_an_executable_named_pdf_is_refused_in_english(world, household):
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        attachment_add(
            actor=world.town_clerk,
            target=household,
            kind="income_proof",
            file=upload(exe_bytes(), "工资证明.pdf"),
        )
    assert caught.value.code == "file_type_refused"
    assert caught.value.field == "file"
    message = caught.value.message
    assert "工资证明.pdf" in message
    assert "is not a file this document takes" in message
    assert "PDF" in message and "Excel (.xlsx)" in message
    assert not Attachment.objects.exists()


def test_an_executable_named_pdf_is_refused_in_chinese(world, household):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationFailed) as caught:
            attachment_add(
                actor=world.town_clerk,
                target=household,
                kind="id_card_copy",
                file=upload(exe_bytes(), "身份证.pdf"),
            )
        # The message comes from the zh-hans catalogue, filled in for the active language.
        expected = gettext(
            "The file %(name)s is not a file this document takes: upload %(formats)s. "
            "The platform reads what the file really contains, whatever its name says."
        ) % {"name": "身份证.pdf", "formats": "PDF、JPEG、PNG"}
    assert caught.value.message == expected
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("kind", "data", "accepted"),
    [
        ("income_proof", xlsx_bytes(), True),
        ("id_card_copy", xlsx_bytes(), False),
        ("visit_photo", jpeg_bytes(), True),
        ("visit_photo", pdf_bytes(), False),
    ],
)
def test_office_files_and_photos_only_where_the_kind_allows(world, household, kind, data, accepted):
    file = upload(data, "file.bin", "application/octet-stream")
    if accepted:
        assert attachment_add(actor=world.town_clerk, target=household, kind=kind, file=file).pk
    else:
        with pytest.raises(ValidationFailed):
            attachment_add(actor=world.town_clerk, target=household, kind=kind, file=file)


def test_a_zip_that_is_not_an_office_file_is_refused(world, household):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", exe_bytes())
    with pytest.raises(ValidationFailed):
        attachment_add(
            actor=world.town_clerk,
            target=household,
            kind="income_proof",
            file=upload(buffer.getvalue(), "收入.xlsx"),
        )


def test_size_limit(world, household, settings):
    settings.DOCUMENTS_MAX_UPLOAD_MB = 1
    too_big = pdf_bytes() + b"0" * (2**20)
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        attachment_add(
            actor=world.town_clerk,
            target=household,
            kind="income_proof",
            file=upload(too_big, "big.pdf"),
        )
    assert caught.value.code == "file_too_large"
    assert "1 MB" in caught.value.message
    just_fits = pdf_bytes() + b"0" * (2**20 - len(pdf_bytes()))
    assert len(just_fits) == 2**20
    attachment_add(
        actor=world.town_clerk,
        target=household,
        kind="income_proof",
        file=upload(just_fits, "ok.pdf"),
    )


def test_empty_file_is_refused(world, household):
    with pytest.raises(ValidationFailed):
        attachment_add(
            actor=world.town_clerk, target=household, kind="other", file=upload(b"", "x.pdf")
        )


def test_same_file_twice_on_one_target_is_refused_but_allowed_on_another(world, household):
    data = pdf_bytes("the same proof")
    first = attachment_add(
        actor=world.town_clerk, target=household, kind="income_proof", file=upload(data, "a.pdf")
    )
    with translation.override("en"), pytest.raises(Conflict) as caught:
        attachment_add(
            actor=world.town_clerk, target=household, kind="other", file=upload(data, "b.pdf")
        )
    assert caught.value.code == "same_file"
    assert caught.value.extra == {"attachment": first.pk}
    assert "a.pdf" in caught.value.message
    assert Attachment.objects.count() == 1
    head = world.families["xinjia"].head
    attachment_add(
        actor=world.town_clerk, target=head, kind="income_proof", file=upload(data, "a.pdf")
    )
    assert Attachment.objects.count() == 2


def test_unknown_kind_is_refused(world, household):
    with pytest.raises(ValidationFailed):
        attachment_add(
            actor=world.town_clerk,
            target=household,
            kind="bank_statement_x",
            file=upload(pdf_bytes(), "a.pdf"),
        )


def test_adding_is_audited(world, household):
    attachment = attachment_add(
        actor=world.town_clerk,
        target=household,
        kind="income_proof",
        file=upload(pdf_bytes(), "a.pdf"),
    )
    event = AuditEvent.objects.get(action="documents.attachment.add")
    assert event.object_id == str(attachment.pk)
    assert event.actor == world.town_clerk
    assert event.region_code == world.regions["xinjia_grid"].code
    assert event.changes["kind"] == "income_proof"
    assert event.changes["sha256"] == attachment.sha256


def test_staff_of_another_town_cannot_add_or_list(world, household):
    with pytest.raises(NotFound):
        attachment_add(
            actor=world.other_town_clerk,
            target=household,
            kind="other",
            file=upload(pdf_bytes(), "a.pdf"),
        )
    with pytest.raises(NotFound):
        attachment_list(actor=world.other_town_clerk, target=household)


def test_auditor_may_read_but_not_add(world, household):
    attachment_add(
        actor=world.town_clerk, target=household, kind="other", file=upload(pdf_bytes(), "a.pdf")
    )
    assert attachment_list(actor=world.auditor, target=household).count() == 1
    with pytest.raises(PermissionRefused):
        attachment_add(
            actor=world.auditor,
            target=household,
            kind="other",
            file=upload(pdf_bytes("2"), "b.pdf"),
        )


def test_resident_adds_to_and_lists_their_own_household_only(world, household):
    attachment_add(
        actor=world.resident,
        target=household,
        kind="authorisation",
        file=upload(pdf_bytes(), "授权书.pdf"),
    )
    assert [a.kind for a in attachment_list(actor=world.resident, target=household)] == [
        "authorisation"
    ]
    other = world.families["wangdian"].household
    with pytest.raises(NotFound):
        attachment_add(
            actor=world.resident,
            target=other,
            kind="authorisation",
            file=upload(pdf_bytes("x"), "a.pdf"),
        )
    with pytest.raises(NotFound):
        attachment_list(actor=world.resident, target=other)


def test_list_by_kind(world, household):
    attachment_add(
        actor=world.town_clerk, target=household, kind="other", file=upload(pdf_bytes("1"), "1.pdf")
    )
    attachment_add(
        actor=world.town_clerk,
        target=household,
        kind="visit_photo",
        file=upload(png_bytes(), "2.png"),
    )
    kinds = list(
        attachment_list(
            actor=world.county_approver, target=household, kind="visit_photo"
        ).values_list("kind", flat=True)
    )
    assert kinds == ["visit_photo"]


def test_download_checks_scope_and_audits(world, household, client):
    data = pdf_bytes("身份证复印件")
    attachment = attachment_add(
        actor=world.resident, target=household, kind="id_card_copy", file=upload(data, "身份证.pdf")
    )
    url = reverse("documents:attachment_file", args=[attachment.pk])

    client.force_login(world.town_clerk)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    events = AuditEvent.objects.filter(action="documents.attachment.download")
    assert [(e.actor, e.object_id) for e in events] == [(world.town_clerk, str(attachment.pk))]

    client.force_login(world.other_town_clerk)
    assert client.get(url).status_code == 404

    client.force_login(world.resident)
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="documents.attachment.download").count() == 2

    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="documents.attachment.download").count() == 2


def test_download_of_a_missing_attachment_is_not_found(world):
    with pytest.raises(NotFound):
        attachment_download(actor=world.city_admin, attachment_id=987654)


def test_download_of_a_non_personal_kind_is_not_audited(world, household, monkeypatch):
    from minzheng.kernel.documents import hooks

    monkeypatch.setitem(
        hooks.ATTACHMENT_KINDS,
        "public_leaflet",
        hooks.AttachmentKindSpec("public_leaflet", "leaflet", hooks.DOCUMENTS, personal=False),
    )
    attachment = attachment_add(
        actor=world.town_clerk,
        target=household,
        kind="public_leaflet",
        file=upload(pdf_bytes(), "a.pdf"),
    )
    attachment_download(actor=world.town_clerk, attachment_id=attachment.pk)
    assert not AuditEvent.objects.filter(action="documents.attachment.download").exists()


def stored_files(settings) -> list:
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT) / "attachments"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_refused_upload_leaves_no_file_behind(world, household, settings):
    data = pdf_bytes("once")
    attachment_add(
        actor=world.town_clerk, target=household, kind="other", file=upload(data, "a.pdf")
    )
    with pytest.raises(Conflict):
        attachment_add(
            actor=world.town_clerk, target=household, kind="other", file=upload(data, "a.pdf")
        )
    with pytest.raises(ValidationFailed):
        attachment_add(
            actor=world.town_clerk,
            target=household,
            kind="other",
            file=upload(exe_bytes(), "x.pdf"),
        )
    assert len(stored_files(settings)) == 1


def test_the_database_refuses_a_second_copy_even_past_the_check(
    world, household, monkeypatch, settings
):
    """Two uploads racing past the duplicate check: the unique constraint turns one away."""
    from django.db.models import QuerySet

    data = pdf_bytes("raced")
    first = attachment_add(
        actor=world.town_clerk, target=household, kind="other", file=upload(data, "a.pdf")
    )
    real_first = QuerySet.first
    calls = {"n": 0}

    def blind_first(self):
        # The first look-up in attachment_add is the duplicate check: make it miss, as it
        # would for a concurrent upload that had not committed yet.
        calls["n"] += 1
        return None if calls["n"] == 1 else real_first(self)

    monkeypatch.setattr(QuerySet, "first", blind_first)
    with pytest.raises(Conflict) as caught:
        attachment_add(
            actor=world.town_clerk, target=household, kind="other", file=upload(data, "b.pdf")
        )
    monkeypatch.undo()
    assert caught.value.extra == {"attachment": first.pk}
    assert Attachment.objects.count() == 1
    assert len(stored_files(settings)) == 1  # the second copy's file was removed again
