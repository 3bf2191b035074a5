import datetime as dt

import pytest

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.parameters.models import ChangeStatus
from minzheng.kernel.parameters.selectors import (
    parameter_history,
    parameter_list,
    system_in_force,
    system_with_proposal,
)
from minzheng.kernel.parameters.services import (
    parameter_change_confirm,
    parameter_change_propose,
    parameter_change_withdraw,
)

pytestmark = pytest.mark.django_db

NANHU = "assistance.dibao.standard.c330402"
XIUZHOU = "assistance.dibao.standard.c330411"


def _standard(system, path, day):
    county = path.rsplit(".", 1)[1]
    return system.get_parameters_at_instant(day).assistance.dibao.standard[county]


def _propose(world, *, value=1200, start=dt.date(2026, 7, 1), path=NANHU):
    return parameter_change_propose(
        actor=world.city_admin,
        path=path,
        start=start,
        value=value,
        source_document="嘉政发〔2026〕12号",
    )


def test_a_confirmed_change_applies_only_from_its_effective_date(world):
    before = _standard(system_in_force(), NANHU, "2026-06-30")
    change = _propose(world)
    assert _standard(system_in_force(), NANHU, "2026-07-01") == before  # proposed: no effect

    parameter_change_confirm(actor=world.city_admin, change=change)

    system = system_in_force()
    assert _standard(system, NANHU, "2026-06-30") == before
    assert _standard(system, NANHU, "2026-07-01") == 1200
    assert _standard(system, NANHU, "2030-01-01") == 1200
    assert _standard(system, XIUZHOU, "2026-07-01") == before  # other counties untouched


def test_the_baseline_is_never_modified(world):
    from minzheng.rules import tax_benefit_system

    parameter_change_confirm(actor=world.city_admin, change=_propose(world))
    assert _standard(tax_benefit_system(), NANHU, "2026-07-01") != 1200


def test_a_change_holds_until_the_next_dated_value(world):
    first = _propose(world, value=1100, start=dt.date(2025, 1, 1))
    second = _propose(world, value=1300, start=dt.date(2027, 1, 1))
    parameter_change_confirm(actor=world.city_admin, change=second)
    parameter_change_confirm(actor=world.city_admin, change=first)
    system = system_in_force()
    assert _standard(system, NANHU, "2026-12-31") == 1100
    assert _standard(system, NANHU, "2027-01-01") == 1300


def test_changes_are_audited_and_shown_in_history_with_their_source(world):
    change = _propose(world)
    parameter_change_confirm(actor=world.city_admin, change=change)
    actions = list(
        AuditEvent.objects.filter(object_type="parameters.parameterchange")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["parameters.change.propose", "parameters.change.confirm"]
    latest = parameter_history(path=NANHU)[0]
    assert (
        latest.start,
        latest.value,
        latest.reference,
        latest.unconfirmed,
        latest.from_database,
    ) == ("2026-07-01", 1200, "嘉政发〔2026〕12号", False, True)


def test_unconfirmed_defaults_are_flagged(world):
    summaries = {s.path: s for s in parameter_list(on=dt.date(2026, 1, 1))}
    assert summaries[NANHU].unconfirmed_today
    parameter_change_confirm(
        actor=world.city_admin, change=_propose(world, start=dt.date(2025, 1, 1))
    )
    summaries = {s.path: s for s in parameter_list(on=dt.date(2026, 1, 1))}
    assert not summaries[NANHU].unconfirmed_today


def test_what_if_sees_the_proposal_without_putting_it_in_force(world):
    change = _propose(world, value=1500)
    assert _standard(system_with_proposal(change), NANHU, "2026-08-01") == 1500
    assert _standard(system_in_force(), NANHU, "2026-08-01") != 1500


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("assistance.nothing", 1, "path"),
        (NANHU, "abc", "value"),
        (NANHU, "-5", "value"),
        (NANHU, "NaN", "value"),
    ],
)
def test_bad_proposals_are_refused(world, path, value, field):
    with pytest.raises(ValidationFailed) as caught:
        _propose(world, path=path, value=value)
    assert caught.value.field == field


def test_a_source_document_is_required(world):
    with pytest.raises(ValidationFailed):
        parameter_change_propose(
            actor=world.city_admin,
            path=NANHU,
            start=dt.date(2026, 7, 1),
            value=1200,
            source_document=" ",
        )


def test_only_city_administrators_change_parameters(world):
    with pytest.raises(PermissionRefused):
        parameter_change_propose(
            actor=world.county_approver,
            path=NANHU,
            start=dt.date(2026, 7, 1),
            value=1200,
            source_document="x",
        )


def test_confirming_twice_or_two_values_for_one_date_is_refused(world):
    change = _propose(world)
    parameter_change_confirm(actor=world.city_admin, change=change)
    with pytest.raises(Conflict):
        parameter_change_confirm(actor=world.city_admin, change=change)
    with pytest.raises(Conflict):
        parameter_change_confirm(actor=world.city_admin, change=_propose(world, value=1250))


def test_withdrawing_a_confirmed_change_takes_it_out_of_force(world):
    change = _propose(world)
    parameter_change_confirm(actor=world.city_admin, change=change)
    parameter_change_withdraw(actor=world.city_admin, change=change, reason="录入错误")
    assert change.status == ChangeStatus.WITHDRAWN
    assert _standard(system_in_force(), NANHU, "2026-07-01") != 1200
