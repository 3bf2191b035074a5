"""transition_apply: what one step writes, what it costs, and what a refusal or a failure
leaves behind. Exercised on the payment batch, the kernel's own case model."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.db.transaction import TransactionManagementError

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.audit.models import AuditChainHead, AuditEvent
from minzheng.kernel.audit.services import audit_verify
from minzheng.kernel.payments.models import BatchState, PaymentBatch
from minzheng.kernel.payments.services import payment_batch_generate
from minzheng.kernel.payments.tests.factories import LABEL, MONTH, PROGRAMME, payroll
from minzheng.kernel.regions.models import Region
from minzheng.kernel.workflow import services
from minzheng.kernel.workflow.models import CaseStep, Task
from minzheng.kernel.workflow.services import case_number_next, transition_apply
from minzheng.testing.world import CITY, NANHU, PASSWORD

pytestmark = pytest.mark.django_db

XIUZHOU = "330411"


@pytest.fixture
def batch(world) -> PaymentBatch:
    return payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=payroll(world).entitlements(),
        label=LABEL,
    ).batch


def _steps(batch: PaymentBatch) -> list[str]:
    return list(
        CaseStep.objects.filter(object_id=batch.pk, case_number=batch.case_number)
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def _events(batch: PaymentBatch) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="payments.paymentbatch", object_id=str(batch.pk)
        ).values_list("action", flat=True)
    )


# lock and re-read the case, save it, write the step, close and open the task, and append the
# audit event: lock the chain head, insert the event and move the head
STEP = 8


def test_one_step_costs_eight_statements(world, batch, django_assert_num_queries):
    """No savepoint, no re-read of the county the caller's instance already holds. A change
    that adds a round trip to every step fails here."""
    with django_assert_num_queries(STEP) as captured:
        batch = transition_apply(actor=world.county_approver, case=batch, transition="submit")
    assert not any("SAVEPOINT" in q["sql"].upper() for q in captured.captured_queries)
    # A case read without its county costs one more statement: the county, read once for
    # the permission, the task and the audit event's region.
    fresh = PaymentBatch.objects.get(pk=batch.pk)
    with django_assert_num_queries(STEP + 1):
        transition_apply(
            actor=world.county_approver, case=fresh, transition="send_back", reason="re-check"
        )


def test_every_step_writes_one_case_step_one_audit_event_and_moves_the_task(world, batch):
    before = (len(_steps(batch)), len(_events(batch)))
    for _ in range(3):
        batch = transition_apply(actor=world.county_approver, case=batch, transition="submit")
        batch = transition_apply(
            actor=world.county_approver, case=batch, transition="send_back", reason="again"
        )
    assert _steps(batch)[before[0] :] == ["submit", "send_back"] * 3
    assert sorted(_events(batch)[:6]) == sorted(
        ["payments.paymentbatch.submit", "payments.paymentbatch.send_back"] * 3
    )
    assert len(_events(batch)) == before[1] + 6
    open_tasks = Task.objects.filter(object_id=batch.pk, closed_at__isnull=True)
    assert [(t.action, t.region_id) for t in open_tasks] == [("submit", batch.county_id)]
    event = AuditEvent.objects.filter(action="payments.paymentbatch.send_back").first()
    assert event is not None and event.region_code == NANHU and event.reason == "again"
    assert audit_verify() == []


def test_a_refusal_inside_the_callers_transaction_leaves_it_usable(world, batch):
    """Refusals come before any write, so without a savepoint the caller may still catch
    one and go on in the same transaction."""
    with transaction.atomic():
        with pytest.raises(Conflict):
            transition_apply(
                actor=world.county_approver, case=batch, transition="send_back", reason="x"
            )
        with pytest.raises(PermissionRefused):
            transition_apply(actor=world.town_clerk, case=batch, transition="submit")
        with pytest.raises(ValidationFailed):
            transition_apply(actor=world.county_approver, case=batch, transition="no_such_step")
        batch = transition_apply(actor=world.county_approver, case=batch, transition="submit")
    assert PaymentBatch.objects.get(pk=batch.pk).state == BatchState.PREPARED
    assert _steps(batch)[-1] == "submit"
    assert _events(batch).count("payments.paymentbatch.submit") == 1
    assert audit_verify() == []


def test_a_failure_after_the_case_is_saved_undoes_the_whole_step(world, batch, monkeypatch):
    """The step, the task and the audit event are written without a savepoint: when one of
    them fails, the caller cannot commit the state change without its record."""
    steps, events, head = _steps(batch), _events(batch), AuditChainHead.objects.get().seq

    def fail(**kwargs):
        raise DatabaseError("the audit event could not be written")

    monkeypatch.setattr(services, "audit_record", fail)
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            transition_apply(actor=world.county_approver, case=batch, transition="submit")
        with pytest.raises(TransactionManagementError):
            PaymentBatch.objects.count()
    monkeypatch.undo()
    assert PaymentBatch.objects.get(pk=batch.pk).state == BatchState.GENERATED
    assert (_steps(batch), _events(batch)) == (steps, events)
    assert AuditChainHead.objects.get().seq == head
    assert Task.objects.get(object_id=batch.pk, closed_at__isnull=True).action == "submit"


def test_the_locked_row_decides_which_related_rows_are_reused(world, batch):
    """The caller's instance lends its loaded county to the locked re-read only while the row
    still points at it: a batch moved to another county is recorded under the new one."""
    approver = staff_create(
        actor=None,
        username="approver_city",
        full_name="冯市级",
        password=PASSWORD,
        grants=[(Role.COUNTY_APPROVER, world.regions[CITY])],
    )
    xiuzhou = Region.objects.get(code=XIUZHOU)
    assert batch.county.code == NANHU  # loaded on the caller's instance
    PaymentBatch.objects.filter(pk=batch.pk).update(county=xiuzhou)
    batch = transition_apply(actor=approver, case=batch, transition="submit")
    assert batch.county == xiuzhou
    event = AuditEvent.objects.filter(action="payments.paymentbatch.submit").first()
    assert event is not None and event.region_code == XIUZHOU
    assert Task.objects.get(object_id=batch.pk, closed_at__isnull=True).region == xiuzhou


def test_case_numbers_follow_each_other_per_prefix(db, django_assert_num_queries):
    assert case_number_next(prefix="JX-TEST-1") == "JX-TEST-1-00001"  # creates the counter
    with transaction.atomic(), django_assert_num_queries(2):  # lock the counter, move it
        assert case_number_next(prefix="JX-TEST-1") == "JX-TEST-1-00002"
    assert case_number_next(prefix="JX-TEST-2") == "JX-TEST-2-00001"
    with pytest.raises(RuntimeError), transaction.atomic():
        case_number_next(prefix="JX-TEST-1")
        raise RuntimeError("the filing failed")
    assert case_number_next(prefix="JX-TEST-1") == "JX-TEST-1-00003"  # no number lost
