import pytest

from minzheng.common import crypto
from minzheng.common.errors import PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.payments.models import ACCOUNT_NUMBER_PURPOSE, AccountStatus, PayeeAccount
from minzheng.kernel.payments.selectors import payee_account_list
from minzheng.kernel.payments.services import (
    account_number_digest,
    payee_account_close,
    payee_account_create,
    payee_account_reveal,
)
from minzheng.kernel.payments.tests.factories import BANK_CODE, account_number

pytestmark = pytest.mark.django_db


def test_an_account_is_stored_encrypted_with_a_digest_and_a_masked_form(world):
    head = world.families["xinjia"].head
    account = payee_account_create(
        actor=world.town_clerk,
        person=head,
        bank_name="中国工商银行嘉兴分行",
        bank_code=BANK_CODE,
        account_number="6222 0200 0000 0012 345",
    )
    account.refresh_from_db()
    raw = bytes(account.account_number_ciphertext)
    assert b"62220200000000" not in raw
    assert crypto.decrypt(raw, purpose=ACCOUNT_NUMBER_PURPOSE) == "6222020000000012345"
    assert account.account_number_masked == "6222 **** **** 2345"
    assert account.account_number_digest == account_number_digest("6222020000000012345")
    assert account.holder_name == head.name and account.holder_name_masked == "张*国"
    assert AuditEvent.objects.filter(action="payments.payee_account.create").count() == 1


def test_a_new_account_closes_the_previous_one_and_history_keeps_both(world):
    head = world.families["xinjia"].head
    first = payee_account_create(
        actor=None,
        person=head,
        bank_name="工行",
        bank_code=BANK_CODE,
        account_number=account_number(1),
    )
    second = payee_account_create(
        actor=None,
        person=head,
        bank_name="农行",
        bank_code=BANK_CODE,
        account_number=account_number(2),
    )
    first.refresh_from_db()
    assert first.status == AccountStatus.CLOSED and second.status == AccountStatus.ACTIVE
    assert [a.pk for a in payee_account_list(actor=world.town_clerk, person=head)] == [
        second.pk,
        first.pk,
    ]
    assert first.history.count() == 2  # created, then closed


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"account_number": "12ab"}, "account_number"),
        ({"bank_code": "1023"}, "bank_code"),
        ({"holder_name": "别人"}, "holder_name"),
    ],
)
def test_invalid_accounts_are_refused(world, changes, field):
    values = {
        "bank_name": "工行",
        "bank_code": BANK_CODE,
        "account_number": account_number(3),
    } | changes
    with pytest.raises(ValidationFailed) as error:
        payee_account_create(actor=None, person=world.families["xinjia"].head, **values)
    assert error.value.field == field
    assert not PayeeAccount.objects.exists()


def test_a_clerk_of_another_town_may_not_record_or_reveal(world):
    head = world.families["xinjia"].head
    with pytest.raises(PermissionRefused):
        payee_account_create(
            actor=world.other_town_clerk,
            person=head,
            bank_name="工行",
            bank_code=BANK_CODE,
            account_number=account_number(4),
        )
    account = payee_account_create(
        actor=world.town_clerk,
        person=head,
        bank_name="工行",
        bank_code=BANK_CODE,
        account_number=account_number(4),
    )
    with pytest.raises(PermissionRefused):
        payee_account_reveal(actor=world.other_town_clerk, account=account, reason="核对")
    with pytest.raises(PermissionRefused):
        payee_account_reveal(actor=world.auditor, account=account, reason="核对")
    assert not AuditEvent.objects.filter(action="payments.payee_account.reveal").exists()


def test_a_reveal_needs_a_reason_and_is_audited(world):
    head = world.families["xinjia"].head
    account = payee_account_create(
        actor=None,
        person=head,
        bank_name="工行",
        bank_code=BANK_CODE,
        account_number=account_number(5),
    )
    with pytest.raises(ValidationFailed):
        payee_account_reveal(actor=world.town_clerk, account=account, reason="  ")
    assert payee_account_reveal(actor=world.town_clerk, account=account, reason="银行退回核对") == (
        account_number(5)
    )
    event = AuditEvent.objects.get(action="payments.payee_account.reveal")
    assert (event.actor_id, event.reason) == (world.town_clerk.pk, "银行退回核对")


def test_closing_needs_a_reason_and_happens_once(world):
    account = payee_account_create(
        actor=None,
        person=world.families["xinjia"].head,
        bank_name="工行",
        bank_code=BANK_CODE,
        account_number=account_number(6),
    )
    with pytest.raises(ValidationFailed):
        payee_account_close(actor=world.town_clerk, account=account, reason="")
    payee_account_close(actor=world.town_clerk, account=account, reason="银行销户")
    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED and account.closed_reason == "银行销户"
