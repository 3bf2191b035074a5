"""Every back-office page for the personas who use it: status, key content, Chinese labels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minzheng.common.masking import mask_phone
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.jobs.models import JobRun, JobStatus
from minzheng.kernel.jobs.services import job_start
from minzheng.kernel.people.models import Relation
from minzheng.kernel.people.services import person_move_household
from minzheng.web.backoffice.tests.conftest import HTMX

STAFF = [
    "village_worker",
    "town_clerk",
    "other_town_clerk",
    "county_approver",
    "city_admin",
    "auditor",
]


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# Access ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search/",
        "/persons/1/",
        "/households/1/",
        "/regions/",
        "/jobs/",
        "/jobs/1/",
        "/audit/",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_an_expired_session_sends_live_requests_to_login_as_a_whole_page(client, db):
    response = client.get(
        "/jobs/1/progress/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/jobs/1/"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/jobs/1/"


@pytest.mark.parametrize("url", ["/", "/search/?q=zjg", "/regions/", "/jobs/", "/audit/"])
def test_residents_are_sent_to_the_portal(login, world, url):
    response = login(world.resident).get(url)
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


# Home --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", STAFF)
def test_home_greets_the_actor_with_their_roles_and_regions(login, world, persona):
    user = world.personas[persona]
    grant = user.grants.select_related("region").get()
    response = login(user).get("/")
    assert response.status_code == 200
    page = html(response)
    assert "嘉兴数字民政平台" in page
    assert "我的角色与辖区" in page
    assert user.full_name in page
    assert grant.region.name in page
    assert '<html lang="zh-Hans">' in page


@pytest.mark.parametrize(
    ("persona", "present", "absent"),
    [
        (
            "town_clerk",
            ["辖区人员", "辖区家庭", "查找人员或家庭", "新嘉社区"],
            ["最近批处理任务", "最近审计事件"],
        ),
        ("village_worker", ["辖区人员", "新嘉社区第一网格"], ["最近批处理任务"]),
        ("county_approver", ["辖区人员", "新嘉街道", "最近批处理任务"], ["最近审计事件"]),
        (
            "city_admin",
            ["嘉兴市户籍人口", "南湖区", "秀洲区", "最近批处理任务"],
            ["辖区人员", "最近审计事件"],
        ),
        ("auditor", ["最近审计事件", "审计日志"], ["最近批处理任务"]),
    ],
)
def test_home_shows_the_tiles_of_the_actors_roles(login, world, persona, present, absent):
    page = html(login(world.personas[persona]).get("/"))
    for text in present:
        assert text in page, text
    for text in absent:
        assert text not in page, text


def test_home_counts_persons_and_households_of_the_clerks_town_only(login, world):
    response = login(world.town_clerk).get("/")
    assert response.context["person_count"] == 3
    assert response.context["household_count"] == 1


def test_side_navigation_offers_only_sections_the_role_may_open(login, world):
    clerk_page = html(login(world.town_clerk).get("/"))
    assert "批处理任务" in clerk_page
    assert reverse("backoffice:audit") not in clerk_page
    auditor_page = html(login(world.auditor).get("/"))
    assert reverse("backoffice:audit") in auditor_page


# Search ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind", "expected"),
    [
        ("张建国", "persons", "张建国"),
        ("张", "persons", "张小明"),
        ("zhangjianguo", "persons", "张建国"),
        ("zjg", "persons", "张建国"),
        ("ZJG", "persons", "张建国"),
        ("13900000011", "persons", "张建国"),
        ("zjg", "households", "新嘉街道幸福路11号"),
        ("幸福路", "households", "新嘉街道幸福路11号"),
    ],
)
def test_search_finds_by_name_pinyin_phone_and_address(login, world, query, kind, expected):
    response = login(world.town_clerk).get("/search/", {"q": query, "kind": kind})
    assert response.status_code == 200
    assert expected in html(response)


def test_search_finds_a_person_by_id_number_and_shows_it_masked(login, world):
    head = world.families["xinjia"].head
    full_number = "330402196805040113"
    assert head.id_number_masked == "330402********0113"
    page = html(login(world.town_clerk).get("/search/", {"q": full_number}))
    assert "张建国" in page
    assert head.id_number_masked in page
    assert full_number not in page
    assert mask_phone(head.phone) in page
    assert head.phone not in page


def test_search_results_have_chinese_column_labels(login, world):
    page = html(login(world.town_clerk).get("/search/", {"q": "zjg"}))
    for label in ["姓名", "性别", "年龄", "身份证号", "联系电话", "居住地", "人员", "家庭"]:
        assert label in page, label


def test_search_does_not_find_people_of_another_town(login, world):
    response = login(world.town_clerk).get("/search/", {"q": "王建国"})
    assert response.context["person_total"] == 0
    assert response.context["household_total"] == 0
    other_head = world.families["wangdian"].head
    assert reverse("backoffice:person", args=[other_head.pk]) not in html(response)
    assert "您的辖区内没有与“王建国”匹配的记录" in html(response)


def test_live_search_answers_htmx_with_the_results_fragment_only(login, world):
    response = login(world.town_clerk).get("/search/", {"q": "zjg"}, **HTMX)
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert "张建国" in page


def test_search_page_wires_up_live_search(login, world):
    page = html(login(world.town_clerk).get("/search/"))
    assert 'hx-get="/search/"' in page
    assert "keyup changed delay" in page
    assert "请输入查询内容" in page


def test_search_paginates(login, world):
    from minzheng.web.backoffice.tests.conftest import add_households

    add_households(world.regions["xinjia_grid"], 25, members=1)
    client = login(world.town_clerk)
    first = client.get("/search/", {"q": "测试", "kind": "persons"})
    second = client.get("/search/", {"q": "测试", "kind": "persons", "page": 2})
    assert first.context["page_obj"].paginator.count == 25
    assert len(first.context["page_obj"].object_list) == 20
    assert len(second.context["page_obj"].object_list) == 5
    assert "共 25 条" in html(first)


def test_staff_without_the_register_permission_cannot_search(login, world):
    from minzheng.kernel.accounts.models import Role
    from minzheng.kernel.accounts.services import staff_create

    sysadmin = staff_create(
        actor=None,
        username="sysadmin",
        full_name="冯系统",
        password=None,
        grants=[(Role.SYSTEM_ADMIN, world.regions["330400"])],
    )
    response = login(sysadmin).get("/search/", {"q": "zjg"})
    assert response.status_code == 403
    assert "您的角色无权访问此页面" in html(response)


# Person ------------------------------------------------------------------------------------------


def test_person_page_shows_the_facts_with_chinese_labels(login, world):
    head = world.families["xinjia"].head
    response = login(world.town_clerk).get(f"/persons/{head.pk}/")
    page = html(response)
    assert response.status_code == 200
    for label in [
        "基本信息",
        "公民身份号码",
        "出生日期",
        "户籍地",
        "居住地",
        "残疾情况",
        "重大疾病",
        "劳动能力",
        "在校学生",
        "所在家庭",
        "家庭成员关系变动记录",
        "信息版本记录 1 条",
        "新嘉社区第一网格",
        "1968-05-04",
        "有劳动能力",
        "户主",
    ]:
        assert label in page, label
    assert head.id_number_masked in page


def test_person_page_offers_the_reveal_only_to_actors_allowed_to_reveal(login, world):
    head = world.families["xinjia"].head
    url = reverse("backoffice:person_reveal", args=[head.pk])
    assert url in html(login(world.town_clerk).get(f"/persons/{head.pk}/"))
    assert url not in html(login(world.village_worker).get(f"/persons/{head.pk}/"))
    assert url not in html(login(world.auditor).get(f"/persons/{head.pk}/"))


def test_person_page_lists_past_memberships(login, world):
    child = world.families["xinjia"].members[2]
    other = world.families["xinjia"].household
    from minzheng.web.backoffice.tests.conftest import add_households

    target = add_households(world.regions["xinjia_grid"], 1)[0]
    person_move_household(
        actor=None, person=child, household=target, relation=Relation.OTHER, reason="外出求学"
    )
    page = html(login(world.town_clerk).get(f"/persons/{child.pk}/"))
    assert "外出求学" in page
    assert other.address in page
    assert "已终止" in page
    assert "现有" in page


# Household ---------------------------------------------------------------------------------------


def test_household_page_shows_address_region_trail_and_members(login, world):
    family = world.families["xinjia"]
    response = login(world.town_clerk).get(f"/households/{family.household.pk}/")
    page = html(response)
    assert response.status_code == 200
    for label in [
        "家庭基本信息",
        "张建国户",
        "户主",
        "配偶",
        "子女",
        "与户主关系",
        "现有家庭成员",
        "历史成员",
        "新嘉街道幸福路11号",
        "嘉兴市",
        "南湖区",
        "新嘉社区第一网格",
        "3 人",
    ]:
        assert label in page, label
    for person in family.members:
        assert person.id_number_masked in page
    # The clerk may open her town and below, not the county above it.
    assert reverse("backoffice:region", args=["330402009"]) in page
    assert reverse("backoffice:region", args=["330402"]) not in page


def test_household_page_lists_former_members_with_dates_and_reason(login, world):
    family = world.families["xinjia"]
    target = world.families["wangdian"].household
    person_move_household(
        actor=None,
        person=family.members[2],
        household=target,
        relation=Relation.GRANDCHILD,
        reason="随祖父母生活",
    )
    page = html(login(world.town_clerk).get(f"/households/{family.household.pk}/"))
    assert "随祖父母生活" in page
    assert "2012-01-20" in page
    assert "2 人" in page


# Regions -----------------------------------------------------------------------------------------


def test_town_clerk_browses_her_town_and_below(login, world):
    client = login(world.town_clerk)
    response = client.get("/regions/")
    page = html(response)
    assert response.status_code == 200
    assert response.context["region"].code == "330402009"
    for label in [
        "新嘉街道",
        "新嘉社区",
        "330402009001",
        "户籍人口",
        "常住人口",
        "区划代码",
        "村（社区）",
    ]:
        assert label in page, label
    village = client.get("/regions/330402009001/")
    assert village.status_code == 200
    assert "新嘉社区第一网格" in html(village)
    grid = client.get("/regions/330402009001001/")
    assert grid.status_code == 200
    assert "已是最低层级" in html(grid)


@pytest.mark.parametrize("code", ["330402", "330400", "330411105", "330402008", "999999"])
def test_town_clerk_cannot_open_regions_outside_her_town(login, world, code):
    response = login(world.town_clerk).get(f"/regions/{code}/")
    assert response.status_code == 404
    assert "不在您的管辖区域内" in html(response)


def test_city_administrator_sees_the_counties(login, world):
    response = login(world.city_admin).get("/regions/")
    page = html(response)
    assert response.context["region"].code == "330400"
    for county in ["南湖区", "秀洲区", "嘉善县", "海盐县", "海宁市", "平湖市", "桐乡市"]:
        assert county in page
    county = login(world.city_admin).get("/regions/330402/")
    assert "新嘉街道" in html(county)


def test_region_breadcrumb_shows_ancestors_outside_scope_as_text(login, world):
    page = html(login(world.village_worker).get("/regions/330402009001/"))
    assert "新嘉街道" in page
    assert reverse("backoffice:region", args=["330402009"]) not in page


# Jobs --------------------------------------------------------------------------------------------


def test_jobs_page_lists_jobs_and_offers_start_to_runners(login, world):
    job_start(actor=world.city_admin, kind="people.population_recount", enqueue=False)
    admin_page = html(login(world.city_admin).get("/jobs/"))
    assert "批处理任务" in admin_page
    assert "按行政区划重新统计户籍人口和常住人口" in admin_page
    assert reverse("backoffice:job_start") in admin_page
    clerk_page = html(login(world.town_clerk).get("/jobs/"))
    assert reverse("backoffice:job_start") not in clerk_page


def test_city_administrator_starts_a_population_recount(
    login, world, django_capture_on_commit_callbacks
):
    client = login(world.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/jobs/start/", {"kind": "people.population_recount"})
    job = JobRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.created_by == world.city_admin
    page = html(client.get(response["Location"]))
    assert "任务已启动" in page
    assert "成功" in page
    assert "南湖区" in page


def test_town_clerk_may_not_start_jobs(login, world):
    response = login(world.town_clerk).post("/jobs/start/", {"kind": "people.population_recount"})
    assert response.status_code == 403
    assert not JobRun.objects.exists()


def test_job_page_polls_while_the_job_runs_and_stops_when_it_is_done(login, world):
    job = job_start(actor=world.city_admin, kind="people.population_recount", enqueue=False)
    client = login(world.town_clerk)
    page = html(client.get(f"/jobs/{job.pk}/"))
    assert 'hx-trigger="every 1s"' in page
    assert reverse("backoffice:job_progress", args=[job.pk]) in page
    assert 'role="progressbar"' in page
    partial = client.get(f"/jobs/{job.pk}/progress/", **HTMX)
    assert "<html" not in html(partial)
    assert 'hx-trigger="every 1s"' in html(partial)

    from minzheng.kernel.jobs.services import job_run_chunk

    for chunk in job.chunks.all():
        job_run_chunk(job_id=job.pk, key=chunk.key)
    finished = html(client.get(f"/jobs/{job.pk}/progress/", **HTMX))
    assert 'hx-trigger="every 1s"' not in finished
    assert "100%" in finished
    assert "成功" in finished


def test_a_failed_job_can_be_resumed_by_a_runner(login, world, monkeypatch):
    from minzheng.kernel.jobs import registry
    from minzheng.kernel.jobs.services import job_run_chunk

    def explode(params, key):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    kind = registry.JobKind(
        name="test.explodes", label="Explodes", chunk_keys=lambda p: ["a"], run_chunk=explode
    )
    monkeypatch.setitem(registry.JOB_KINDS, kind.name, kind)
    job = job_start(actor=None, kind=kind.name, enqueue=False)
    with pytest.raises(RuntimeError):
        job_run_chunk(job_id=job.pk, key="a")

    page = html(login(world.city_admin).get(f"/jobs/{job.pk}/"))
    assert "disk full" in page
    assert reverse("backoffice:job_resume", args=[job.pk]) in page
    assert reverse("backoffice:job_resume", args=[job.pk]) not in html(
        login(world.town_clerk).get(f"/jobs/{job.pk}/")
    )
    response = login(world.city_admin).post(f"/jobs/{job.pk}/resume/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert AuditEvent.objects.filter(action="jobs.job.resume", object_id=str(job.pk)).exists()


def test_unknown_job_is_not_found(login, world):
    assert login(world.city_admin).get("/jobs/999/").status_code == 404


# Audit trail -------------------------------------------------------------------------------------


def test_auditor_reads_and_filters_the_audit_trail(login, world):
    client = login(world.auditor)
    response = client.get("/audit/")
    page = html(response)
    assert response.status_code == 200
    for label in ["审计日志", "操作人", "对象", "事由", "人员登记", "筛选"]:
        assert label in page, label
    filtered = client.get("/audit/", {"action": "people.household.create"})
    events = list(filtered.context["page_obj"].object_list)
    assert events
    assert {event.action for event in events} == {"people.household.create"}
    household = world.families["xinjia"].household
    by_object = client.get(
        "/audit/", {"object_type": "people.household", "object_id": str(household.pk)}
    )
    assert {event.object_id for event in by_object.context["page_obj"].object_list} == {
        str(household.pk)
    }
    assert reverse("backoffice:household", args=[household.pk]) in html(by_object)


@pytest.mark.parametrize(
    "persona", ["town_clerk", "city_admin", "county_approver", "village_worker"]
)
def test_other_roles_may_not_read_the_audit_trail(login, world, persona):
    response = login(world.personas[persona]).get("/audit/")
    assert response.status_code == 403
    assert "无权访问" in html(response)


# Login, logout, language -------------------------------------------------------------------------


def test_login_page_is_in_chinese(client, db):
    page = html(client.get("/login/"))
    for label in ["工作人员登录", "用户名", "密码", "登录", "嘉兴数字民政平台"]:
        assert label in page, label


def test_staff_login_is_audited_and_lands_on_home(client, world, password):
    response = client.post("/login/", {"username": "clerk_xinjia", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    event = AuditEvent.objects.get(action="accounts.staff.login")
    assert event.actor == world.town_clerk
    assert event.changes == {"channel": "backoffice"}


def test_wrong_password_is_refused_in_chinese(client, world):
    response = client.post("/login/", {"username": "clerk_xinjia", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码错误" in html(response)
    assert not AuditEvent.objects.filter(action="accounts.staff.login").exists()


def test_lockout_after_five_failures(client, world, password):
    for _ in range(5):
        client.post("/login/", {"username": "clerk_xinjia", "password": "wrong-password"})
    response = client.post("/login/", {"username": "clerk_xinjia", "password": password})
    assert response.status_code == 429
    page = html(response)
    assert "账号已锁定" in page
    assert "5 次" in page
    assert not AuditEvent.objects.filter(action="accounts.staff.login").exists()


def test_logout_needs_a_post_and_returns_to_login(login, world):
    client = login(world.town_clerk)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_language_switch_turns_the_pages_to_english_and_back(login, world):
    client = login(world.town_clerk)
    assert "人员与家庭" in html(client.get("/"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/search/"})
    assert response.status_code == 302
    assert response["Location"] == "/search/"
    page = html(client.get("/search/?q=zjg"))
    assert "Persons and households" in page
    assert "Jiaxing Digital Civil Affairs Platform" in page
    assert '<html lang="en">' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "人员与家庭" in html(client.get("/"))


def test_every_page_has_the_language_switch_and_logout(login, world):
    page = html(login(world.town_clerk).get("/"))
    assert 'action="/i18n/setlang/"' in page
    assert 'name="language" value="en"' in page
    assert 'action="/logout/"' in page
    assert "hx-headers" in page
    assert "X-CSRFToken" in page


def test_pages_load_assets_locally_never_from_a_cdn(
    login, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_start(actor=None, kind="people.population_recount")  # figures for the chart
    page = html(login(world.city_admin).get("/"))
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in page
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert "/static/vendor/echarts/echarts.min.js" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page
