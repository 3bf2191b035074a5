"""The enrolment's payee account (发放账户): set at approval, chosen with a reason, and kept
current when accounts are recorded and when the payee leaves the household or dies."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.domains.assistance import selectors as services_selectors
from minzheng.domains.assistance import services
from minzheng.domains.assistance.payroll import monthly_entitlements
from minzheng.domains.assistance.tests.test_casework_support import cast
from minzheng.domains.assistance.tests.test_payroll_support import (
    NANHU,
    enrol,
    household_with,
    run_payroll,
)
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.payments.models import PaymentLine
from minzheng.kernel.payments.services import payee_account_close, payment_batch_generate
from minzheng.kernel.payments.tests.factories import account_number, open_account
from minzheng.kernel.people.models import Membership
from minzheng.kernel.people.services import household_end_membership, person_update

pytestmark = pytest.mark.django_db

OLD = dt.date(1950, 3, 1)


@pytest.fixture
def couple(world):
    """A dibao couple of 新嘉, enrolled before any bank account was recorded."""
    c = cast(world)
    household, persons = household_with(
        c, seq=71, births=[OLD, dt.date(1952, 5, 6)], address="幸福路71号"
    )
    return c, enrol(c, household, persons)


def _payee(enrolled) -> int | None:  # type: ignore[no-untyped-def]
    enrolled.enrolment.refresh_from_db()
    return enrolled.enrolment.payee_account_id


def _paid_account(enrolled) -> int | None:  # type: ignore[no-untyped-def]
    month = enrolled.enrolment.start_month
    entitlements = monthly_entitlements("dibao", NANHU, month)
    ids = entitlements.beneficiary_ids.tolist()
    by_household = dict(zip(ids, entitlements.payee_account_ids.tolist(), strict=True))
    return by_household[enrolled.enrolment.household_id]


def test_approval_takes_the_head_s_account(world):
    c = cast(world)
    household, persons = household_with(c, seq=72, births=[OLD], address="幸福路72号")
    account = open_account(persons[0], 720)  # the card first, then the application

    enrolled = enrol(c, household, persons)

    assert _payee(enrolled) == account.pk


def test_an_account_recorded_after_approval_becomes_the_payee(couple):
    _c, enrolled = couple
    assert _payee(enrolled) is None
    assert _paid_account(enrolled) == 0  # the payroll would reject the household

    head_account = open_account(enrolled.head, 711)
    spouse_account = open_account(enrolled.members[1], 712)  # not the head: no change

    assert _payee(enrolled) == head_account.pk
    assert _paid_account(enrolled) == head_account.pk
    event = AuditEvent.objects.filter(action="assistance.enrolment.payee_follow").latest("id")
    assert event.changes["cause"] == "account_recorded"
    assert event.changes["enrolments"] == [enrolled.enrolment.pk]
    assert spouse_account.pk != head_account.pk


def test_a_replaced_account_is_followed_and_a_closed_one_is_not_paid(couple):
    _c, enrolled = couple
    first = open_account(enrolled.head, 711)
    second = open_account(enrolled.head, 713)  # closes the first
    assert _payee(enrolled) == second.pk

    payee_account_close(actor=None, account=second, reason="银行销户")
    month = enrolled.enrolment.start_month
    result = payment_batch_generate(
        actor=None,
        programme="dibao",
        county=NANHU,
        month=month,
        entitlements=monthly_entitlements("dibao", NANHU, month),
    )
    assert (result.inserted, result.rejected) == (0, 1)  # the closed account is rejected

    third = open_account(enrolled.head, 714)  # a new card after the closure
    assert _payee(enrolled) == third.pk
    run_payroll(month)
    line = PaymentLine.objects.get(beneficiary_id=enrolled.enrolment.household_id)
    assert line.payee_account_id == third.pk != first.pk


def test_the_clerk_chooses_another_member_s_account_with_a_reason(couple):
    c, enrolled = couple
    open_account(enrolled.head, 711)
    spouse = open_account(enrolled.members[1], 712)
    enrolment = enrolled.enrolment

    with pytest.raises(ValidationFailed):
        services.enrolment_payee_set(actor=c.clerk, enrolment=enrolment, account=spouse, reason="")
    with pytest.raises(PermissionRefused):
        services.enrolment_payee_set(
            actor=c.grid_worker, enrolment=enrolment, account=spouse, reason="户主卧床"
        )
    choices = services.payee_choices(enrolment)
    assert [a.person_id for a in choices] == [enrolled.head.pk, enrolled.members[1].pk]

    services.enrolment_payee_set(
        actor=c.clerk, enrolment=enrolment, account=spouse, reason="户主卧床，由配偶代领"
    )

    assert _payee(enrolled) == spouse.pk
    run_payroll(enrolment.start_month)
    assert PaymentLine.objects.get(beneficiary_id=enrolment.household_id).payee_account_id == (
        spouse.pk
    )
    event = AuditEvent.objects.filter(action="assistance.enrolment.payee_change").get()
    assert event.reason == "户主卧床，由配偶代领"
    old, new = event.changes["payee_account"]
    assert new == spouse.account_number_masked and "*" in new and old != new
    with pytest.raises(Conflict):
        services.enrolment_payee_set(
            actor=c.clerk, enrolment=enrolment, account=spouse, reason="再次"
        )


def test_only_an_active_account_of_a_living_member_can_be_chosen(couple, world):
    c, enrolled = couple
    stranger = open_account(world.families["xinjia"].members[0], 790)
    closed = open_account(enrolled.members[1], 712)
    payee_account_close(actor=None, account=closed, reason="销户")

    for account in (stranger, closed):
        with pytest.raises(ValidationFailed):
            services.enrolment_payee_set(
                actor=c.clerk, enrolment=enrolled.enrolment, account=account, reason="代领"
            )
    assert _payee(enrolled) is None


def test_the_payee_leaving_the_household_moves_the_payment_to_the_head(couple):
    c, enrolled = couple
    head = open_account(enrolled.head, 711)
    spouse = open_account(enrolled.members[1], 712)
    services.enrolment_payee_set(
        actor=c.clerk, enrolment=enrolled.enrolment, account=spouse, reason="由配偶代领"
    )

    membership = Membership.objects.get(person=enrolled.members[1], end_date__isnull=True)
    household_end_membership(actor=None, membership=membership, reason="迁出")

    assert _payee(enrolled) == head.pk
    event = AuditEvent.objects.filter(action="assistance.enrolment.payee_follow").latest("id")
    assert event.changes["cause"] == "member_left"
    assert event.changes["person"] == enrolled.members[1].pk


def test_the_death_of_the_head_payee_leaves_the_enrolment_without_a_payee(couple):
    _c, enrolled = couple
    open_account(enrolled.head, 711)

    person_update(actor=None, person=enrolled.head, death_date=dt.date(2026, 10, 3))

    assert _payee(enrolled) is None  # the head was the payee: nobody is paid until a clerk
    assert _paid_account(enrolled) == 0  # chooses an account (the payroll rejects it)


def test_the_migration_fills_existing_enrolments_with_the_head_s_account(couple):
    _c, enrolled = couple
    account = open_account(enrolled.head, 711)
    type(enrolled.enrolment).objects.update(payee_account=None)
    migration = importlib.import_module(
        "minzheng.domains.assistance.migrations.0012_enrolment_payee_account"
    )

    migration.heads_accounts(apps, None)

    assert _payee(enrolled) == account.pk


def _case_page(client, enrolled):  # type: ignore[no-untyped-def]
    url = reverse("assistance:case", args=[enrolled.enrolment.case_number])
    return client.get(url).content.decode()


def test_the_case_page_shows_the_payee_masked_and_the_clerk_changes_it(couple):
    c, enrolled = couple
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(c.clerk)
    page = _case_page(client, enrolled)
    assert "未设收款账户" in page  # no account yet: the warning, and nothing to choose
    household_accounts = reverse(
        "payments:household_accounts", args=[enrolled.enrolment.household_id]
    )
    assert household_accounts in page and 'data-testid="payee-submit"' not in page

    head = open_account(enrolled.head, 711)
    spouse = open_account(enrolled.members[1], 712)
    page = _case_page(client, enrolled)
    assert head.account_number_masked in page and head.holder_name_masked in page
    assert account_number(711) not in page and account_number(712) not in page
    assert spouse.account_number_masked in page  # offered in the form, masked

    url = reverse("assistance:case_payee", args=[enrolled.enrolment.case_number])
    refused = client.post(url, {"payee-account": spouse.pk, "payee-reason": ""}, follow=True)
    assert _payee(enrolled) == head.pk and "事由" in refused.content.decode()
    stranger = open_account(c.world.families["xinjia"].members[0], 790)
    client.post(url, {"payee-account": stranger.pk, "payee-reason": "代领"})
    assert _payee(enrolled) == head.pk  # not a member's account: not offered, not taken

    done = client.post(url, {"payee-account": spouse.pk, "payee-reason": "由配偶代领"}, follow=True)
    assert _payee(enrolled) == spouse.pk
    assert "收款账户已变更" in done.content.decode()


def test_a_reviewer_sees_the_payee_but_no_form_to_change_it(couple):
    c, enrolled = couple
    open_account(enrolled.head, 711)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(c.reviewer)

    page = _case_page(client, enrolled)

    assert 'data-testid="payee"' in page and 'data-testid="payee-submit"' not in page
    url = reverse("assistance:case_payee", args=[enrolled.enrolment.case_number])
    other = open_account(enrolled.members[1], 712)
    client.post(url, {"payee-account": other.pk, "payee-reason": "代领"})
    assert _payee(enrolled) != other.pk


def _worklist(user) -> str:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client.get(reverse("assistance:worklist")).content.decode()


def test_the_worklist_lists_enrolments_without_a_payee_until_one_is_recorded(couple):
    c, enrolled = couple
    case_url = reverse("assistance:case", args=[enrolled.enrolment.case_number])

    page = _worklist(c.clerk)
    assert 'data-testid="payee-missing"' in page and case_url in page
    assert "无账户" in page
    assert enrolled.head.name not in page  # the applicant masked
    # Another town's clerk, and a reviewer who records no accounts, do not get the list.
    assert case_url not in _worklist(c.world.other_town_clerk)
    assert 'data-testid="payee-missing"' not in _worklist(c.reviewer)

    account = open_account(enrolled.head, 711)
    assert case_url not in _worklist(c.clerk)

    payee_account_close(actor=None, account=account, reason="银行销户")
    page = _worklist(c.clerk)
    assert case_url in page and "账户已销户" in page
    selected = services_selectors.enrolments_without_payee(
        actor=c.clerk, today=enrolled.enrolment.start_month
    )
    assert list(selected) == [enrolled.enrolment]
    services.enrolment_stop(
        actor=c.approver,
        enrolment=enrolled.enrolment,
        reason="收入超过标准",
        end_month=enrolled.enrolment.start_month,
    )
    later = dt.date(enrolled.enrolment.start_month.year + 1, 1, 1)
    assert not services_selectors.enrolments_without_payee(actor=c.clerk, today=later).exists()
