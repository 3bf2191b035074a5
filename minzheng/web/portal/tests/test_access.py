"""Residents stay in the portal; staff stay in the back office."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PHONE = "13900000011"


@pytest.mark.parametrize(
    "persona", ["village_worker", "town_clerk", "county_approver", "city_admin", "auditor"]
)
@pytest.mark.parametrize("url_name", ["portal:home", "portal:login"])
def test_staff_are_sent_to_the_back_office(client, world, persona, url_name):
    client.force_login(getattr(world, persona))

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"] == "/"


def _back_office_paths(world):
    own, other = world.families["xinjia"], world.families["wangdian"]
    return [
        "/",
        f"/persons/{own.head.pk}/",
        f"/persons/{other.head.pk}/",
        f"/households/{own.household.pk}/",
        f"/households/{other.household.pk}/",
        "/search/?q=zjg",
        "/persons/?q=zjg",
        "/households/?q=zjg",
        "/regions/",
        f"/regions/{world.regions['330402009'].code}/",
        "/jobs/",
        "/audit/",
        "/admin/",
        f"/admin/people/person/{own.head.pk}/change/",
        "/api/v1/persons",
        f"/api/v1/persons/{own.head.pk}",
        "/api/v1/households",
        "/api/v1/regions",
    ]


def test_resident_cannot_open_back_office_urls(client, steps, world):
    steps.login(PHONE)
    own, other = world.families["xinjia"].members, world.families["wangdian"].members

    for path in _back_office_paths(world):
        response = client.get(path, follow=True)

        # Refused outright, or sent to a login page or to the portal: never the data.
        final_path = response.request["PATH_INFO"]
        assert response.status_code in (401, 403, 404) or (
            response.status_code == 200
            and response.redirect_chain
            and ("login" in final_path or final_path.startswith("/portal/"))
        ), (path, response.status_code, final_path)
        body = response.content.decode(errors="replace")
        # Only the resident's own page may show their own family; nothing shows another's.
        visible = other if final_path == "/portal/" else own + other
        for person in visible:
            assert person.name not in body, path
            assert person.id_number_masked not in body, path


def test_resident_is_not_admin_staff(client, steps, world):
    steps.login(PHONE)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
