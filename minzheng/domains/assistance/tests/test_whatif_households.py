"""The households entering and leaving each programme under a proposed change: the lists
against a direct comparison of the rules' results, the page, its filters, the Excel file,
and who may see them.

The demo register (a few hundred households over the city, with their verification source
records) is loaded for each test; the preview is for the month the demo incomes lead up to.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.common.errors import PermissionRefused
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.determination import evaluate, lookback_months, read_population
from minzheng.domains.assistance.whatif import (
    affected_households,
    whatif_cache_clear,
    whatif_preview,
)
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.parameters.models import ParameterChange
from minzheng.kernel.parameters.selectors import system_in_force, system_with_proposal
from minzheng.kernel.parameters.services import parameter_change_propose
from minzheng.kernel.people.demo import seed_demo
from minzheng.kernel.people.models import Household, Membership, Person
from minzheng.kernel.regions.models import Region

pytestmark = pytest.mark.django_db

NANHU = "330402"
XINJIA = "330402009"
PATH = f"assistance.dibao.standard.c{NANHU}"
DEMO_HOUSEHOLDS = 700
NOTICE = "嘉兴市民政局《关于调整最低生活保障标准的通知》(测试)"


@pytest.fixture(autouse=True)
def _fresh_cache():
    whatif_cache_clear()
    yield
    whatif_cache_clear()


@pytest.fixture
def on() -> dt.date:
    """The first of this month: the demo incomes cover the twelve months before it."""
    return timezone.localdate().replace(day=1)


@pytest.fixture
def demo(db, monkeypatch):
    # The region population recount (most of the load's time) plays no part in a preview.
    monkeypatch.setattr("minzheng.kernel.people.demo.loader.population_recount", lambda: 0)
    seed_demo(scale="demo", households=DEMO_HOUSEHOLDS, history=False)


@pytest.fixture
def staff(demo):
    def make(username: str, role: str, code: str):
        return staff_create(
            actor=None,
            username=username,
            full_name=username,
            password=None,
            grants=[(role, Region.objects.get(code=code))],
        )

    return {
        "city_admin": make("t_admin", Role.CITY_ADMIN, "330400"),
        "county_approver": make("t_approver", Role.COUNTY_APPROVER, NANHU),
        "town_clerk": make("t_clerk", Role.TOWN_CLERK, XINJIA),
        "auditor": make("t_auditor", Role.AUDITOR, "330400"),
    }


def old_standard(on: dt.date) -> float:
    return float(
        system_in_force().parameters(on.isoformat()).assistance.dibao.standard[f"c{NANHU}"]
    )


def propose(actor, on: dt.date, value: float, path: str = PATH) -> ParameterChange:
    return parameter_change_propose(
        actor=actor, path=path, start=on, value=value, source_document=NOTICE
    )


PROGRAMME_FLAGS = {
    "dibao": "on_dibao",
    "marginal": "on_marginal",
    "low_income_rural": "low_income_rural",
    "expenditure_poverty": "expenditure_poverty",
}


def flags(outputs) -> dict[str, np.ndarray]:
    found = {name: outputs.h(variable).astype(bool) for name, variable in PROGRAMME_FLAGS.items()}
    found["tekun"] = outputs.members("tekun_eligible") > 0
    return found


def direct(on: dt.date, change: ParameterChange, county: str):
    """The county evaluated by the bulk determination's path, without and with the change."""
    system = system_in_force()
    population = read_population(county, on, lookback_months=lookback_months(system, on))
    before = evaluate(population, system=system)
    after = evaluate(population, system=system_with_proposal(change))
    return population, before, after


def ids(population, mask: np.ndarray) -> list[int]:
    return sorted(int(i) for i in population.household_ids[mask])


# The lists against the rules ---------------------------------------------------------------


def test_raising_the_standard_lists_exactly_the_households_between_the_lines(staff, on):
    admin = staff["city_admin"]
    old = old_standard(on)
    new = old + 800
    change = propose(admin, on, new)

    result = whatif_preview(actor=admin, change=change)

    population, before, after = direct(on, change, NANHU)
    per_capita = before.h("per_capita_income")
    # Below the new line and passing the property tests, which loosen with the standard too
    # (deposits are counted in months of the standard), and not on dibao already.
    between = (
        (per_capita < new)
        & after.h("assets_pass").astype(bool)
        & ~before.h("on_dibao").astype(bool)
    )
    # Among them, every household between the two lines that passed the tests already.
    already = (per_capita >= old) & (per_capita < new) & before.h("assets_pass").astype(bool)
    assert set(ids(population, already)) <= set(ids(population, between))
    expected = ids(population, between)
    assert expected, "the demo register should hold households between the two lines"
    [nanhu] = result.counties
    entering = nanhu.programmes["dibao"].entering_households
    assert entering.ids() == expected
    assert nanhu.programmes["dibao"].leaving_households.ids() == []
    # Each household's amounts are the rules' own, before and after.
    position = np.searchsorted(population.household_ids, entering.household_ids)
    assert np.allclose(entering.amount_before, 0)
    assert np.allclose(entering.amount_after, after.h("dibao_amount")[position])
    assert np.allclose(entering.cost_before, before.h("assistance_monthly_total")[position])
    assert np.allclose(entering.cost_after, after.h("assistance_monthly_total")[position])
    sizes = np.bincount(population.person_household, minlength=population.household_count)
    assert entering.sizes.tolist() == sizes[position].tolist()


def test_a_city_wide_change_lists_every_programme_as_the_rules_compare(staff, on):
    admin = staff["city_admin"]
    change = propose(admin, on, 100, path="assistance.assets.deposits_multiple")

    result = whatif_preview(actor=admin, change=change)

    assert len(result.counties) == 7
    moved = 0
    for county in result.counties:
        population, before, after = direct(on, change, county.county)
        old, new = flags(before), flags(after)
        for programme, flow in county.programmes.items():
            entering = ids(population, new[programme] & ~old[programme])
            leaving = ids(population, old[programme] & ~new[programme])
            assert flow.entering_households.ids() == entering, (county.county, programme)
            assert flow.leaving_households.ids() == leaving, (county.county, programme)
            assert (flow.entering, flow.leaving) == (len(entering), len(leaving))
            moved += len(entering) + len(leaving)
        tekun = county.programmes["tekun"].entering_households
        position = np.searchsorted(population.household_ids, tekun.household_ids)
        assert np.allclose(tekun.amount_after, after.total("tekun_amount")[position])
        assert county.programmes["marginal"].entering_households.amount_before is None
    assert moved > 0
    # The list of every county, programme and direction holds the same rows.
    listed = affected_households(actor=admin, result=result)
    assert len(listed) == moved


# The page ----------------------------------------------------------------------------------


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def page_ids(response) -> list[int]:
    return [item.household_id for item, _label in response.context["page_rows"]]


def test_the_page_filters_pages_and_masks(staff, on, monkeypatch, django_assert_max_num_queries):
    from minzheng.domains.assistance import views

    admin = staff["city_admin"]
    change = propose(admin, on, 100, path="assistance.assets.deposits_multiple")
    result = whatif_preview(actor=admin, change=change)
    client = client_of(admin)
    url = reverse("assistance:change_households", args=[change.pk])

    # Every row, then one county, one programme, one direction: the service's own lists.
    everything = client.get(url)
    assert everything.status_code == 200
    total = len(affected_households(actor=admin, result=result))
    assert everything.context["page_obj"].paginator.count == total
    assert views.AFFECTED_PAGE_SIZE == 50
    assert len(page_ids(everything)) == min(total, 50)
    dibao = result.counties[0].programmes["dibao"]
    county = result.counties[0].county
    for direction, movers in (
        ("entering", dibao.entering_households),
        ("leaving", dibao.leaving_households),
    ):
        response = client.get(url, {"county": county, "programme": "dibao", "direction": direction})
        assert response.status_code == 200
        assert page_ids(response) == movers.ids()[:50]
    marginal = client.get(url, {"programme": "marginal", "direction": "entering"})
    expected = [
        h for c in result.counties for h in c.programmes["marginal"].entering_households.ids()
    ]
    assert page_ids(marginal) == expected[:50]
    assert {item.programme for item, _ in marginal.context["page_rows"]} == {"marginal"}

    # Pages partition the list in order (a small page size to get several pages).
    monkeypatch.setattr(views, "AFFECTED_PAGE_SIZE", 7)
    seen = []
    pages = -(-total // 7)
    for number in range(1, pages + 1):
        with django_assert_max_num_queries(20):  # not one query per row
            response = client.get(url, {"page": number})
        rows = response.context["page_rows"]
        assert len(rows) == (7 if number < pages else total - 7 * (pages - 1))
        seen.extend((item.household_id, item.programme, item.direction) for item, _ in rows)
    assert len(seen) == len(set(seen)) == total

    # Masked heads' names, each row linking to the household page; no ID number anywhere.
    body = everything.content.decode()
    for item, _label in everything.context["page_rows"]:
        head = Membership.objects.get(
            household_id=item.household_id, end_date__isnull=True, relation="head"
        ).person
        assert item.head_name == mask_name(head.name) and "*" in item.head_name
        assert head.name not in body
        assert reverse("backoffice:household", args=[item.household_id]) in body
        assert head.id_number_masked[:6] + "********" not in body
    assert "受影响家庭" in body or "Households affected" in body

    # A filter that is not offered is refused, with nothing listed.
    response = client.get(url, {"county": "999999"})
    assert response.status_code == 422 and response.context["page_obj"] is None


def test_the_change_page_links_each_count_to_its_list(staff, on):
    admin = staff["city_admin"]
    change = propose(admin, on, old_standard(on) + 800)
    body = client_of(admin).get(reverse("assistance:change", args=[change.pk])).content.decode()
    url = reverse("assistance:change_households", args=[change.pk])
    assert f"{url}?county={NANHU}&amp;programme=dibao&amp;direction=entering" in body
    assert f"{url}?programme=dibao&amp;direction=entering" in body  # the total row


def test_the_excel_file_holds_the_list_masked(staff, on):
    admin = staff["city_admin"]
    change = propose(admin, on, 100, path="assistance.assets.deposits_multiple")
    result = whatif_preview(actor=admin, change=change)
    client = client_of(admin)

    response = client.get(
        reverse("assistance:change_households_xlsx", args=[change.pk]), {"direction": "entering"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    listed = list(affected_households(actor=admin, result=result, direction="entering"))
    assert len(rows) == len(listed) > 0
    assert [(r[0], r[4], r[5], r[10], r[11]) for r in rows] == [
        (i.household_id, i.head_name, i.size, i.cost_before, i.cost_after) for i in listed
    ]
    text = "\n".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
    for name, masked_id in Person.objects.values_list("name", "id_number_masked"):
        if len(name) > 1:
            assert name not in text  # only masked names
        assert masked_id not in text
    assert not re.search(r"\d{17}[\dXx]", text)  # no ID number at all
    assert all("*" in row[4] for row in rows if row[4])


# Who may see it ----------------------------------------------------------------------------


def test_only_city_administrators_see_the_list(staff, on):
    admin = staff["city_admin"]
    change = propose(admin, on, old_standard(on) + 800)
    result = whatif_preview(actor=admin, change=change)
    assert result.entering("dibao") > 0
    for persona in ("county_approver", "town_clerk", "auditor"):
        client = client_of(staff[persona])
        for name in ("assistance:change_households", "assistance:change_households_xlsx"):
            response = client.get(reverse(name, args=[change.pk]), {"county": NANHU})
            assert response.status_code == 403, (persona, name)
            assert b"data-affected" not in response.content
            assert response.content[:2] != b"PK"  # no workbook
        with pytest.raises(PermissionRefused):
            whatif_preview(actor=staff[persona], change=change)
        with pytest.raises(PermissionRefused):
            affected_households(actor=staff[persona], result=result)


def test_an_administrator_of_one_region_lists_only_its_households(staff, on):
    admin = staff["city_admin"]
    change = propose(admin, on, 100, path="assistance.assets.deposits_multiple")
    result = whatif_preview(actor=admin, change=change)
    everything = list(affected_households(actor=admin, result=result))
    xinjia = Region.objects.get(code=XINJIA)
    inside = set(
        Household.objects.filter(region__path__startswith=xinjia.path).values_list("id", flat=True)
    )
    local = staff_create(
        actor=None,
        username="t_local_admin",
        full_name="t_local_admin",
        password=None,
        grants=[(Role.CITY_ADMIN, xinjia)],
    )

    listed = affected_households(actor=local, result=whatif_preview(actor=local, change=change))

    assert {item.household_id for item in listed} == {
        item.household_id for item in everything if item.household_id in inside
    }
    assert all(item.town == xinjia.name for item in listed)
    outside = [item.household_id for item in everything if item.household_id not in inside]
    assert outside
    body = client_of(local).get(reverse("assistance:change_households", args=[change.pk]))
    for household_id in outside:
        assert f'data-household="{household_id}"' not in body.content.decode()


def test_the_list_reuses_the_preview_and_needs_a_proposed_change(staff, on, monkeypatch):
    from minzheng.domains.assistance import whatif

    admin = staff["city_admin"]
    change = propose(admin, on, 100, path="assistance.assets.deposits_multiple")
    client = client_of(admin)
    calls = []
    rebase = whatif.batch.rebase
    monkeypatch.setattr(whatif.batch, "rebase", lambda *a, **k: calls.append(1) or rebase(*a, **k))

    client.get(reverse("assistance:change", args=[change.pk]))
    url = reverse("assistance:change_households", args=[change.pk])
    for query in ({}, {"page": 2}, {"programme": "dibao"}, {"county": NANHU}):
        assert client.get(url, query).status_code == 200
    client.get(reverse("assistance:change_households_xlsx", args=[change.pk]))

    assert len(calls) == 7  # once per county, for the change page only

    ParameterChange.objects.filter(pk=change.pk).update(status="withdrawn")
    assert client.get(url).status_code == 404
