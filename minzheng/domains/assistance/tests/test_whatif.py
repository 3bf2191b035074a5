"""What-if preview: a proposed standard change, who enters and leaves, and the cost, by county."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.common.errors import PermissionRefused
from minzheng.domains.assistance.determination import determine_county
from minzheng.domains.assistance.models import Determination
from minzheng.domains.assistance.tests.test_determination import (
    NANHU,
    ON,
    elderly_single,
    import_wages,
    standard,
)
from minzheng.domains.assistance.whatif import affected_counties, whatif_cache_clear, whatif_preview
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.jobs.models import JobRun
from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
from minzheng.kernel.parameters.services import parameter_change_propose
from minzheng.kernel.people.id_numbers import make_id_number

pytestmark = pytest.mark.django_db
PATH = f"assistance.dibao.standard.c{NANHU}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    whatif_cache_clear()
    yield
    whatif_cache_clear()


def propose(world, value: float) -> ParameterChange:
    return parameter_change_propose(
        actor=world.city_admin,
        path=PATH,
        start=ON,
        value=value,
        source_document="嘉兴市人民政府通知（测试）",
    )


@pytest.fixture
def family_just_above_the_line(world, settings, tmp_path):
    """The 新嘉 family of three with a wage putting it a little above the dibao line."""
    family = world.families["xinjia"]
    head_id = make_id_number(NANHU, dt.date(1968, 5, 4), 11)
    import_wages(settings, tmp_path, [(head_id, family.head.name, 3 * standard() * 1.2 + 100)])
    determine_county(county=NANHU, on=ON)
    row = Determination.objects.get(household=family.household)
    assert not row.on_dibao and float(row.per_capita_income) > standard()
    return family, float(row.per_capita_income)


def test_raising_the_standard_brings_the_family_into_dibao(world, family_just_above_the_line):
    family, per_capita = family_just_above_the_line
    new_standard = round(per_capita + 100, 0)
    change = propose(world, new_standard)

    result = whatif_preview(actor=world.city_admin, change=change, on=ON)

    assert [county.county for county in result.counties] == [NANHU]
    nanhu = result.counties[0]
    assert nanhu.programmes["dibao"].entering == 1
    assert nanhu.programmes["dibao"].leaving == 0
    assert nanhu.programmes["dibao"].entering_households.ids() == [family.household.pk]
    assert result.entering("dibao") == 1
    # The top-up covers the three members: (new standard − income per capita) × 3.
    assert nanhu.cost_change == pytest.approx(round((new_standard - per_capita) * 3, 2), abs=0.05)
    assert result.cost_change == nanhu.cost_change


def test_an_elderly_single_on_dibao_gets_the_raise_in_the_cost(world):
    _household, _ = elderly_single(world)
    change = propose(world, standard() + 50)

    result = whatif_preview(actor=world.city_admin, change=change)

    nanhu = result.counties[0]
    assert nanhu.programmes["dibao"].entering == 0
    # The single gets +50; the 新嘉 family with no recorded income gets +50 × 3.
    assert nanhu.cost_change == pytest.approx(50 * 4)


def test_a_proposal_equal_to_the_standard_changes_nothing(world, family_just_above_the_line):
    _family, per_capita = family_just_above_the_line
    raised = whatif_preview(actor=world.city_admin, change=propose(world, per_capita + 100))
    assert raised.entering("dibao") == 1

    unchanged = whatif_preview(actor=world.city_admin, change=propose(world, standard()))

    assert unchanged.entering("dibao") == 0 and unchanged.leaving("dibao") == 0
    assert unchanged.cost_change == 0


def test_the_preview_writes_nothing(world, family_just_above_the_line):
    change = propose(world, standard() + 300)
    before = (
        Determination.objects.count(),
        list(Determination.objects.values_list("dibao_amount", flat=True)),
        AuditEvent.objects.count(),
        JobRun.objects.count(),
        ParameterChange.objects.filter(status=ChangeStatus.CONFIRMED).count(),
    )

    whatif_preview(actor=world.city_admin, change=change)

    after = (
        Determination.objects.count(),
        list(Determination.objects.values_list("dibao_amount", flat=True)),
        AuditEvent.objects.count(),
        JobRun.objects.count(),
        ParameterChange.objects.filter(status=ChangeStatus.CONFIRMED).count(),
    )
    assert after == before
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED


def test_a_change_before_its_effective_date_changes_nothing(world):
    elderly_single(world)
    change = propose(world, standard() + 300)

    result = whatif_preview(actor=world.city_admin, change=change, on=dt.date(2026, 6, 1))

    assert result.cost_change == 0


def test_only_city_administrators_preview(world):
    change = propose(world, standard() + 10)

    for persona in ("town_clerk", "county_approver", "auditor"):
        with pytest.raises(PermissionRefused):
            whatif_preview(actor=getattr(world, persona), change=change)


def test_a_city_wide_parameter_touches_every_county(world):
    assert affected_counties(PATH) == [NANHU]
    assert len(affected_counties("assistance.marginal.multiple")) == 7
