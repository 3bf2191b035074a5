"""The nightly clean-up of abandoned portal drafts (码上办): drafts never submitted and left
unchanged for ASSISTANCE_DRAFT_RETENTION_DAYS go, with their files and consents; nothing
else does, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import threading
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from minzheng.common.errors import ValidationFailed
from minzheng.domains.assistance import tasks
from minzheng.domains.assistance.models import (
    ApplicationDraft,
    AssistanceApplication,
    VerificationAuthorisation,
)
from minzheng.domains.assistance.selectors import portal as portal_selectors
from minzheng.domains.assistance.services import portal
from minzheng.domains.assistance.tests.test_casework_support import cast, programme
from minzheng.domains.assistance.tests.test_portal_services import pdf, ready_draft
from minzheng.kernel.accounts.models import User, UserKind
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.documents.models import Attachment

pytestmark = pytest.mark.django_db

PURGE_EVENT = "assistance.draft.purge"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ASSISTANCE_DRAFT_RETENTION_DAYS = 30


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def c(world):
    return cast(world)


def stored(settings, name: str) -> bool:
    return (Path(settings.MEDIA_ROOT) / name).is_file()


def age(draft: ApplicationDraft, days: int) -> None:
    """Make the draft look last changed `days` ago (update() leaves auto_now alone)."""
    ApplicationDraft.objects.filter(pk=draft.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=days)
    )


def other_resident(world) -> User:
    return User.objects.create(
        username="resident-13900000021",
        phone="13900000021",
        kind=UserKind.RESIDENT,
        person=world.families["wangdian"].head,
    )


@pytest.fixture
def drafts(c, world):
    """submitted: filed long ago; old: abandoned 31 days, two files and consents;
    fresh: another household's draft changed 29 days ago, one file."""
    submitted_draft = ready_draft(c, "temporary")
    application = portal.draft_submit(actor=c.resident, draft=submitted_draft)
    age(submitted_draft, 400)

    old = ready_draft(c, "dibao")  # one file (ID card) and both adults' consents
    portal.draft_attach(actor=c.resident, draft=old, document="户口簿", file=pdf("hukou"))
    age(old, 31)

    neighbour = other_resident(world)
    fresh = portal.draft_start(actor=neighbour, programme=programme("dibao"))
    portal.draft_attach(actor=neighbour, draft=fresh, document="居民身份证", file=pdf("wang"))
    age(fresh, 29)
    return {"submitted": submitted_draft, "application": application, "old": old, "fresh": fresh}


def files_of(target: ApplicationDraft | AssistanceApplication) -> list[Attachment]:
    return list(
        Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(target), object_id=target.pk
        ).order_by("pk")
    )


def test_only_the_abandoned_draft_goes_with_its_files_and_consents(
    c, drafts, settings, django_capture_on_commit_callbacks
):
    old_files = files_of(drafts["old"])
    fresh_files = files_of(drafts["fresh"])
    application_files = files_of(drafts["application"])
    assert len(old_files) == 2 and len(fresh_files) == 1 and len(application_files) == 1
    assert all(stored(settings, a.file.name) for a in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        result = portal.drafts_purge_abandoned()

    assert (result.drafts, result.attachments, result.authorisations, result.files) == (
        1,
        2,
        2,
        2,
    )
    assert not ApplicationDraft.objects.filter(pk=drafts["old"].pk).exists()
    assert not Attachment.objects.filter(pk__in=[a.pk for a in old_files]).exists()
    assert not any(stored(settings, a.file.name) for a in old_files)
    assert not VerificationAuthorisation.objects.filter(draft_id=drafts["old"].pk).exists()
    # Nothing else: the fresh draft, the submitted one, its application, files and consents.
    assert ApplicationDraft.objects.filter(pk=drafts["fresh"].pk).exists()
    assert ApplicationDraft.objects.filter(pk=drafts["submitted"].pk).exists()
    assert all(stored(settings, a.file.name) for a in fresh_files + application_files)
    assert Attachment.objects.count() == 2
    assert VerificationAuthorisation.objects.filter(application=drafts["application"]).count() == 2
    assert AssistanceApplication.objects.count() == 1
    # One audit event for the run, with the counts and the drafts removed.
    event = AuditEvent.objects.get(action=PURGE_EVENT)
    assert event.actor is None and event.actor_label == "system"
    assert event.changes["drafts"] == 1 and event.changes["draft_ids"] == [drafts["old"].pk]
    assert event.changes["older_than_days"] == 30
    assert sorted(event.changes["attachment_ids"]) == sorted(a.pk for a in old_files)


def test_a_second_run_removes_nothing_and_writes_nothing(
    drafts, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        portal.drafts_purge_abandoned()
    events = AuditEvent.objects.count()
    drafts_left = set(ApplicationDraft.objects.values_list("pk", flat=True))
    files_left = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = portal.drafts_purge_abandoned()

    assert again.drafts == again.attachments == again.files == 0
    assert callbacks == []
    assert AuditEvent.objects.count() == events
    assert set(ApplicationDraft.objects.values_list("pk", flat=True)) == drafts_left
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_left


def test_a_file_also_used_elsewhere_is_kept(
    c, drafts, settings, django_capture_on_commit_callbacks
):
    shared, own = files_of(drafts["old"])
    # The same stored file also serves the application (a document used elsewhere).
    application = drafts["application"]
    copy = Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(application),
        object_id=application.pk,
        case_number=application.case_number,
        kind=shared.kind,
        original_name=shared.original_name,
        file=shared.file.name,
        file_format=shared.file_format,
        media_type=shared.media_type,
        size=shared.size,
        sha256="0" * 64,
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = portal.drafts_purge_abandoned()

    assert result.attachments == 2 and result.files == 1
    assert stored(settings, shared.file.name)
    assert not stored(settings, own.file.name)
    assert Attachment.objects.filter(pk=copy.pk).exists()
    assert AuditEvent.objects.get(action=PURGE_EVENT).changes["files_kept"] == 1


def test_a_failed_run_removes_nothing(drafts, settings, django_capture_on_commit_callbacks):
    old_files = files_of(drafts["old"])

    with (
        mock.patch(
            "minzheng.domains.assistance.services.portal.audit_record",
            side_effect=RuntimeError("audit unavailable"),
        ),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
    ):
        portal.drafts_purge_abandoned()

    assert ApplicationDraft.objects.filter(pk=drafts["old"].pk).exists()
    assert Attachment.objects.filter(pk__in=[a.pk for a in old_files]).count() == 2
    assert all(stored(settings, a.file.name) for a in old_files)
    assert VerificationAuthorisation.objects.filter(draft_id=drafts["old"].pk).count() == 2


def test_the_retention_follows_the_setting_and_the_argument(drafts, settings):
    settings.ASSISTANCE_DRAFT_RETENTION_DAYS = 60
    assert portal.drafts_purge_abandoned().drafts == 0

    assert portal.drafts_purge_abandoned(older_than_days=20).drafts == 2  # old and fresh
    with pytest.raises(ValidationFailed):
        portal.drafts_purge_abandoned(older_than_days=0)


def test_a_dry_run_counts_and_deletes_nothing(drafts):
    result = portal.drafts_purge_abandoned(dry_run=True)

    assert (result.drafts, result.attachments, result.authorisations) == (1, 2, 2)
    assert ApplicationDraft.objects.filter(pk=drafts["old"].pk).exists()
    assert not AuditEvent.objects.filter(action=PURGE_EVENT).exists()


def test_saving_a_step_or_continuing_keeps_the_draft(c, drafts):
    old = drafts["old"]
    assert (
        portal_selectors.draft_removal_date(ApplicationDraft.objects.get(pk=old.pk))
        < timezone.localdate()
    )

    portal.draft_start(actor=c.resident, programme=programme("dibao"))  # continue it

    old.refresh_from_db()
    assert portal_selectors.draft_removal_date(old) == timezone.localdate() + dt.timedelta(days=30)
    assert portal.drafts_purge_abandoned().drafts == 0

    age(old, 31)
    portal.draft_authorise(
        actor=c.resident,
        draft=old,
        person_ids=[p.pk for p in portal_selectors.adult_members(household=old.household)],
    )
    assert portal.drafts_purge_abandoned().drafts == 0


def test_the_task_and_the_command_run_the_clean_up(drafts):
    out = StringIO()
    call_command("assistance_drafts_purge", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["drafts"] == 1
    assert ApplicationDraft.objects.filter(pk=drafts["old"].pk).exists()

    result = tasks.drafts_purge.run()

    assert result["drafts"] == 1
    assert not ApplicationDraft.objects.filter(pk=drafts["old"].pk).exists()
    assert tasks.BEAT_SCHEDULE["assistance-drafts-purge"]["task"] == "assistance.drafts_purge"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two real connections with row locks: PostgreSQL only (run in CI)",
)
def test_a_draft_being_saved_is_skipped_by_the_clean_up(c):
    draft = portal.draft_start(actor=c.resident, programme=programme("dibao"))
    age(draft, 40)
    locked = threading.Event()
    release = threading.Event()

    def resident_saving() -> None:
        try:
            with transaction.atomic():
                ApplicationDraft.objects.select_for_update().get(pk=draft.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=resident_saving)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        skipped = portal.drafts_purge_abandoned()
    finally:
        release.set()
        thread.join(timeout=30)

    assert skipped.drafts == 0
    assert ApplicationDraft.objects.filter(pk=draft.pk).exists()
    assert portal.drafts_purge_abandoned().drafts == 1


def test_the_audit_event_lists_a_bounded_number_of_ids(
    c, drafts, monkeypatch, django_capture_on_commit_callbacks
):
    """A first run over many abandoned drafts writes one event of bounded size: the first
    ids and how many more, with the counts of all."""
    monkeypatch.setattr(portal, "PURGE_AUDIT_IDS", 1)
    old_files = sorted(a.pk for a in files_of(drafts["old"]))

    with django_capture_on_commit_callbacks(execute=True):
        result = portal.drafts_purge_abandoned()

    event = AuditEvent.objects.get(action=PURGE_EVENT)
    assert result.attachments == 2 and event.changes["attachments"] == 2
    assert event.changes["attachment_ids"] == old_files[:1]
    assert event.changes["attachment_ids_not_listed"] == 1
    assert event.changes["draft_ids"] == [drafts["old"].pk]
    assert "draft_ids_not_listed" not in event.changes
