"""The Django admin for reference data: browsable, read only, grants through the services."""

from __future__ import annotations

import pytest

from minzheng.kernel.accounts.models import Role, RoleGrant, User
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.jobs.services import job_start


@pytest.fixture
def system_admin(world) -> User:  # type: ignore[no-untyped-def]
    user = staff_create(
        actor=None,
        username="sysadmin",
        full_name="冯系统",
        password=None,
        grants=[(Role.SYSTEM_ADMIN, world.regions["330400"])],
    )
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return user


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/regions/region/",
        "/admin/regions/region/?level=town",
        "/admin/accounts/user/",
        "/admin/accounts/rolegrant/",
        "/admin/accounts/apitoken/",
        "/admin/audit/auditevent/",
        "/admin/jobs/jobrun/",
    ],
)
def test_admin_lists_reference_data(login, system_admin, path):
    response = login(system_admin).get(path)
    assert response.status_code == 200


def test_admin_shows_reference_data_read_only(login, world, system_admin):
    client = login(system_admin)
    job = job_start(actor=None, kind="people.population_recount", enqueue=False)
    region = world.regions["330402009"]
    event = AuditEvent.objects.order_by("seq").first()
    for path in (
        f"/admin/regions/region/{region.pk}/change/",
        f"/admin/audit/auditevent/{event.pk}/change/",
        f"/admin/jobs/jobrun/{job.pk}/change/",
        f"/admin/accounts/user/{world.town_clerk.pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'name="_save"' not in response.content.decode(), path
    assert client.get("/admin/regions/region/add/").status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403


def test_admin_grants_a_role_through_the_service(login, world, system_admin):
    response = login(system_admin).post(
        "/admin/accounts/rolegrant/add/",
        {
            "user": world.town_clerk.pk,
            "role": Role.TOWN_REVIEWER,
            "region": world.regions["330402009"].pk,
        },
    )
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=world.town_clerk, role=Role.TOWN_REVIEWER).exists()
    event = AuditEvent.objects.filter(action="accounts.role.grant").latest("seq")
    assert event.actor == system_admin


def test_admin_refuses_a_grant_outside_the_administrators_scope(login, world):
    county_admin = staff_create(
        actor=None,
        username="sysadmin_nanhu",
        full_name="南湖系统",
        password=None,
        grants=[(Role.SYSTEM_ADMIN, world.regions["330402"])],
    )
    User.objects.filter(pk=county_admin.pk).update(is_staff=True, is_superuser=True)
    response = login(county_admin).post(
        "/admin/accounts/rolegrant/add/",
        {
            "user": world.other_town_clerk.pk,
            "role": Role.TOWN_REVIEWER,
            "region": world.regions["330411105"].pk,
        },
    )
    assert response.status_code == 200
    assert "您无权管理该区划内的账号" in response.content.decode()
    assert not RoleGrant.objects.filter(role=Role.TOWN_REVIEWER).exists()


def test_admin_revokes_a_role_through_the_service(login, world, system_admin):
    grant = RoleGrant.objects.get(user=world.village_worker)
    response = login(system_admin).post(
        f"/admin/accounts/rolegrant/{grant.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditEvent.objects.filter(action="accounts.role.revoke").exists()
