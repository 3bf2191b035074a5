"""Assistance casework: the lifecycle, refusals, the state table, maker-checker, conflicts of
interest, public-notice objections, 异地申请, 先行救助, deadlines, audit and timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.domains.assistance import selectors, services
from minzheng.domains.assistance.assess import household_assess_unscoped
from minzheng.domains.assistance.models import (
    ApplicationState,
    AssistanceApplication,
    Enrolment,
    EnrolmentState,
)
from minzheng.domains.assistance.tests.test_casework_support import (
    DIBAO_DOCUMENTS,
    cast,
    neighbour_village,
    programme,
    submit_counter,
    submit_online,
    today,
    walk_to,
)
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.audit.services import audit_verify
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.fsm import transition_table
from minzheng.kernel.workflow.models import CaseStep, Task
from minzheng.kernel.workflow.services import transition_apply
from minzheng.testing.world import PASSWORD

pytestmark = pytest.mark.django_db
S = ApplicationState


@pytest.fixture
def c(world):
    return cast(world)


def _steps(case) -> list[CaseStep]:
    return list(
        CaseStep.objects.filter(
            content_type=ContentType.objects.get_for_model(case), object_id=case.pk
        ).order_by("at", "id")
    )


def _events(case) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=case._meta.label_lower, object_id=str(case.pk)
        ).order_by("seq")
    )


# -- the happy path ------------------------------------------------------------------------


def test_the_whole_happy_path_from_online_application_to_enrolment(c):
    application = submit_online(c)
    assert application.state == S.SUBMITTED
    assert application.case_number.startswith(f"JX-330402-{today():%Y%m}-")
    assert application.channel == "online" and application.applicant == c.resident.person
    assert application.region == c.world.regions["330402009"] == application.filed_region

    application = walk_to(c, application, "notice")
    assert application.state == S.NOTICE
    assert application.notice_ends_on == today() + dt.timedelta(days=7)
    assert application.visits.get().second_signer == c.village_worker

    enrolment = services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )

    application.refresh_from_db()
    assert application.state == S.ENROLLED
    # The amount is the rules engine's own result for this household on the decision day.
    expected = household_assess_unscoped(
        household_id=application.household_id, on=application.notice_ends_on
    )["programmes"]["dibao"]["monthly_amount"]
    assert expected > 0
    assert enrolment.monthly_amount == Decimal(str(expected)).quantize(Decimal("0.01"))
    assert enrolment.state == EnrolmentState.ACTIVE
    assert enrolment.covered_count == 3
    assert set(enrolment.members_covered.all()) == set(c.world.families["xinjia"].members)
    month_after = (application.notice_ends_on.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    assert enrolment.start_month == month_after
    assert [s.transition for s in _steps(application)] == [
        "submit",
        "accept",
        "investigate",
        "verify",
        "town_review",
        "publish_notice",
        "approve",
        "enrol",
    ]
    payable = list(selectors.enrolments_payable(month=month_after, county="330402"))
    assert [row["id"] for row in payable] == [enrolment.pk]
    assert not list(selectors.enrolments_payable(month=application.notice_ends_on, county="330402"))
    assert audit_verify() == []
    with pytest.raises(Conflict) as caught:  # enrolled: no second dibao application
        submit_online(c)
    assert caught.value.code == "already_enrolled"


def test_every_transition_writes_one_audit_event_and_one_case_step(c):
    application = walk_to(c, submit_online(c), "notice")
    services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )

    steps = _steps(application)
    events = _events(application)
    assert len(steps) == len(events) == 8
    for step, event in zip(steps, events, strict=True):
        assert event.action == f"assistance.assistanceapplication.{step.transition}"
        assert event.changes["from"] == step.from_state
        assert event.changes["to"] == step.to_state
        assert event.actor_id == step.actor_id
        assert event.region_code == "330402009"
    timeline = selectors.application_timeline(actor=c.clerk, application=application)
    assert [s.transition for s in timeline][-1] == "start"  # the enrolment's first step


# -- the state table -----------------------------------------------------------------------

LEGAL = transition_table(AssistanceApplication)
TRANSITIONS = sorted({name for name, _, _ in LEGAL})


def test_the_state_table_is_the_documented_one():
    moves = {(name, source, target) for name, source, target in LEGAL if target}
    assert ("accept", "submitted", "accepted") in moves
    assert ("approve", "notice", "approved") in moves
    assert ("approve_emergency", "accepted", "approved") in moves
    assert ("enrol", "approved", "enrolled") in moves
    # Nothing ever leaves a final state.
    assert not {m for m in LEGAL if m[1] in ("refused", "withdrawn")}
    assert not {m for m in LEGAL if m[1] == "enrolled" and m[2]}


def _reach(c, state: str) -> AssistanceApplication:
    """An application in `state`, reached through the services."""
    application = submit_online(c, "disaster" if state == "appraised" else "dibao")
    if state == "returned":
        return services.application_return(
            actor=c.clerk, application=application, missing=["户口簿"], reason="材料不齐"
        )
    if state == "withdrawn":
        return services.application_withdraw(actor=c.resident, application=application)
    if state in ("refused", "enrolled"):
        application = walk_to(c, application, "notice")
        if state == "refused":
            return services.application_refuse(
                actor=c.approver, application=application, reason="收入超过标准"
            )
        services.application_approve(
            actor=c.approver, application=application, today=application.notice_ends_on
        )
        return AssistanceApplication.objects.get(pk=application.pk)
    if state != "submitted":
        application = walk_to(c, application, state)
    return application


@pytest.mark.parametrize("state", [s for s in S.values if s != "approved"])
def test_no_transition_outside_the_table(c, state):
    application = _reach(c, state)
    assert application.state == state
    allowed = {name for name, source, _ in LEGAL if source == state}
    for name in TRANSITIONS:
        if name in allowed:
            continue
        before = application.state
        with pytest.raises(Conflict) as caught:
            transition_apply(actor=c.approver, case=application, transition=name)
        assert caught.value.code == "transition_not_allowed", name
        application.refresh_from_db()
        assert application.state == before
    assert len(_steps(application)) == len(_events(application))


def test_unknown_steps_and_setting_the_state_directly_are_refused(c):
    application = submit_online(c)
    with pytest.raises(ValidationFailed):
        transition_apply(actor=c.clerk, case=application, transition="save")
    with pytest.raises(AttributeError):
        application.state = S.APPROVED
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.SUBMITTED


# -- refusals need reasons -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "call"),
    [
        (
            "accepted",
            lambda c, a: services.application_refuse(actor=c.approver, application=a, reason=" "),
        ),
        (
            "submitted",
            lambda c, a: services.application_return(
                actor=c.clerk, application=a, missing=["户口簿"], reason=""
            ),
        ),
        (
            "submitted",
            lambda c, a: services.application_approve_emergency(
                actor=c.reviewer, application=a, amount=Decimal("2000"), reason=""
            ),
        ),
    ],
    ids=["refuse", "return", "emergency"],
)
def test_every_refusal_and_exception_needs_a_written_reason(c, state, call):
    application = submit_online(c, "temporary")
    if state == "accepted":
        application = walk_to(c, application, "accepted")
    with pytest.raises(ValidationFailed) as caught:
        call(c, application)
    assert caught.value.code == "reason_required"
    assert AssistanceApplication.objects.get(pk=application.pk).state == state


def test_refusal_records_the_reason_and_closes_the_worklist_task(c):
    application = walk_to(c, submit_online(c), "verified")
    refused = services.application_refuse(
        actor=c.approver, application=application, reason="家庭存款超过规定标准"
    )
    assert refused.state == S.REFUSED
    assert refused.decision_reason == "家庭存款超过规定标准"
    assert _steps(refused)[-1].reason == "家庭存款超过规定标准"
    assert not Task.objects.filter(object_id=refused.pk, closed_at__isnull=True).exists()


def test_returned_application_is_resubmitted_by_the_resident(c):
    application = services.application_submit(
        actor=c.resident,
        programme=programme("dibao"),
        household=c.world.families["xinjia"].household,
        channel="online",
        documents=["居民身份证"],
    )
    with pytest.raises(ValidationFailed) as caught:
        services.application_accept(actor=c.clerk, application=application)
    assert caught.value.code == "documents_missing"

    application = services.application_return(
        actor=c.clerk,
        application=application,
        missing=["户口簿", "家庭经济状况核对授权书", "收入情况说明"],
        reason="材料不齐，一次性告知补齐",
    )
    assert application.state == S.RETURNED
    application = services.application_resubmit(
        actor=c.resident, application=application, documents=DIBAO_DOCUMENTS
    )
    application = services.application_accept(actor=c.clerk, application=application)
    assert application.state == S.ACCEPTED


# -- permissions, maker-checker, conflicts of interest -------------------------------------


def test_the_preparer_of_the_town_review_cannot_approve(c):
    application = walk_to(c, submit_online(c, "temporary"), "notice")  # delegated to the town
    preparer = c.second_clerk
    from minzheng.kernel.accounts.models import Role
    from minzheng.kernel.accounts.services import role_grant

    role_grant(
        actor=None, user=preparer, role=Role.TOWN_REVIEWER, region=c.world.regions["330402009"]
    )
    with pytest.raises(PermissionRefused) as caught:
        services.application_approve(
            actor=preparer, application=application, today=application.notice_ends_on
        )
    assert caught.value.code == "maker_checker"

    services.application_approve(
        actor=c.reviewer, application=application, today=application.notice_ends_on
    )
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.ENROLLED


def test_only_the_approval_level_may_decide(c):
    dibao = walk_to(c, submit_online(c), "notice")
    # dibao is approved by the county: the town reviewer may not.
    with pytest.raises(PermissionRefused):
        services.application_approve(
            actor=c.reviewer, application=dibao, today=dibao.notice_ends_on
        )
    # A clerk of another town may not accept a case of this town.
    other = submit_online(c, "temporary")
    with pytest.raises(PermissionRefused):
        services.application_accept(actor=c.world.other_town_clerk, application=other)


def test_the_notice_must_run_its_seven_days(c):
    application = walk_to(c, submit_online(c), "notice")
    with pytest.raises(Conflict) as caught:
        services.application_approve(
            actor=c.approver,
            application=application,
            today=application.notice_ends_on - dt.timedelta(days=1),
        )
    assert caught.value.code == "notice_running"


def test_a_registered_relative_flags_the_case_and_blocks_approval_without_extra_review(c):
    family = c.world.families["xinjia"]
    services.relative_register(
        actor=c.clerk,
        region=c.world.regions["330402009"],
        relative=family.members[1],
        relation="sibling",
        cadre_name="李村主任",
        cadre_post="村委会主任",
    )
    application = submit_online(c)
    assert application.conflict_flag and "李村主任" in application.conflict_note
    application = walk_to(c, application, "notice")

    with pytest.raises(Conflict) as caught:
        services.application_approve(
            actor=c.approver, application=application, today=application.notice_ends_on
        )
    assert caught.value.code == "condition_not_met"
    assert caught.value.extra["condition"] == "_extra_review_done_if_flagged"

    with pytest.raises(ValidationFailed):
        services.application_extra_review(actor=c.approver, application=application, reason="")
    services.application_extra_review(
        actor=c.second_approver, application=application, reason="经核实，家庭状况属实，无优亲厚友"
    )
    services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.ENROLLED
    steps, events = _steps(application), _events(application)
    assert "extra_review" in [s.transition for s in steps]
    assert [e.action.rsplit(".", 1)[1] for e in events] == [s.transition for s in steps]


def test_staff_with_a_relative_in_the_household_stand_aside(c):
    application = submit_online(c)
    services.relative_register(
        actor=c.approver,
        region=c.world.regions["330402"],
        relative=c.world.families["xinjia"].head,
        relation="sibling",
        staff=c.clerk,
    )
    application.refresh_from_db()
    assert application.conflict_flag  # flagged when the register changes, too
    with pytest.raises(PermissionRefused) as caught:
        services.application_accept(actor=c.clerk, application=application)
    assert caught.value.code == "recusal"
    services.application_accept(actor=c.second_clerk, application=application)


# -- public-notice objections --------------------------------------------------------------


def test_an_open_objection_blocks_approval_until_resolved(c):
    application = walk_to(c, submit_online(c), "notice")
    objection = services.objection_record(
        actor=c.clerk, application=application, content="该户有一辆小汽车", raised_by="匿名"
    )
    with pytest.raises(Conflict) as caught:
        services.application_approve(
            actor=c.approver, application=application, today=application.notice_ends_on
        )
    assert caught.value.extra["condition"] == "_no_open_objection"

    with pytest.raises(ValidationFailed):
        services.objection_resolve(actor=c.clerk, objection=objection, resolution="", upheld=False)
    services.objection_resolve(
        actor=c.clerk, objection=objection, resolution="经查车辆已于2025年转让", upheld=False
    )
    services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )
    transitions = [s.transition for s in _steps(application)]
    assert "record_objection" in transitions and "resolve_objection" in transitions
    events = _events(application)
    assert [e.action.rsplit(".", 1)[1] for e in events] == transitions


def test_an_upheld_objection_leaves_only_a_refusal(c):
    application = walk_to(c, submit_online(c), "notice")
    objection = services.objection_record(actor=c.clerk, application=application, content="有房产")
    services.objection_resolve(actor=c.clerk, objection=objection, resolution="属实", upheld=True)
    with pytest.raises(Conflict) as caught:
        services.application_approve(
            actor=c.approver, application=application, today=application.notice_ends_on
        )
    assert caught.value.code == "objection_upheld"
    refused = services.application_refuse(
        actor=c.approver, application=application, reason="公示异议属实：家庭拥有第二套住房"
    )
    assert refused.state == S.REFUSED


# -- 异地申请, discovered cases, 先行救助, appraisal ------------------------------------------


def test_a_counter_filing_at_another_town_is_routed_to_the_households_town(c):
    household = c.world.families["xinjia"].household
    application = services.application_submit(
        actor=c.world.other_town_clerk,  # 王店镇's clerk
        programme=programme("dibao"),
        household=household,
        channel="counter",
        applicant=c.world.families["xinjia"].head,
        documents=DIBAO_DOCUMENTS,
    )
    assert application.filed_region.code == "330411105"
    assert application.region.code == "330402009"
    assert application.is_remote_filing
    assert _steps(application)[0].payload["routed_to"] == "330402009"
    # The household's town has it on its worklist; the filing town does not.
    assert [w.application.pk for w in selectors.worklist(actor=c.clerk)] == [application.pk]
    assert selectors.worklist(actor=c.world.other_town_clerk) == []
    # The filing clerk still finds the case they filed, but cannot process it.
    assert selectors.application_get(actor=c.world.other_town_clerk, application_id=application.pk)
    with pytest.raises(PermissionRefused):
        services.application_accept(actor=c.world.other_town_clerk, application=application)
    services.application_accept(actor=c.clerk, application=application)


def test_a_grid_worker_files_a_discovered_case_of_their_grid_only(c):
    family = c.world.families["xinjia"]
    application = services.application_submit(
        actor=c.grid_worker,
        programme=programme("tekun"),
        household=family.household,
        channel="discovered",
        applicant=family.head,
    )
    assert application.channel == "discovered"
    with pytest.raises(PermissionRefused):
        services.application_submit(
            actor=c.grid_worker,
            programme=programme("dibao"),
            household=c.world.families["wangdian"].household,
            channel="discovered",
            applicant=c.world.families["wangdian"].head,
        )
    with pytest.raises(PermissionRefused):  # a resident files for their own household only
        services.application_submit(
            actor=c.resident,
            programme=programme("dibao"),
            household=c.world.families["wangdian"].household,
            channel="online",
        )
    with pytest.raises(Conflict):  # one open application per household and programme
        services.application_submit(
            actor=c.grid_worker,
            programme=programme("tekun"),
            household=family.household,
            channel="discovered",
            applicant=family.head,
        )


def test_emergency_help_is_paid_first_and_documented_afterwards(c):
    application = submit_online(c, "temporary")
    enrolment = services.application_approve_emergency(
        actor=c.reviewer,
        application=application,
        amount=Decimal("3000"),
        reason="火灾致房屋受损，急难型临时救助",
        today=today(),
    )
    application.refresh_from_db()
    assert application.state == S.ENROLLED and application.emergency
    assert enrolment.one_off_amount == Decimal("3000.00")
    assert application.documentation_due_on == calendar.add_working_days(today(), 10)
    items = selectors.worklist(actor=c.clerk)
    assert [(w.application.pk, w.task.action) for w in items] == [(application.pk, "document")]
    assert items[0].task.due_on == application.documentation_due_on

    services.application_document(
        actor=c.clerk,
        application=application,
        visited_on=today(),
        findings="房屋烧毁，暂住亲戚家",
        signers=[c.clerk, c.second_clerk],
    )
    application.refresh_from_db()
    assert application.documented_at is not None and application.verification_report_id
    assert selectors.worklist(actor=c.clerk) == []
    with pytest.raises(Conflict):  # dibao has no emergency path
        services.application_approve_emergency(
            actor=c.approver, application=submit_online(c, "dibao"), amount=Decimal("1"), reason="x"
        )
    with pytest.raises(Conflict):
        services.application_document(
            actor=c.clerk,
            application=application,
            visited_on=today(),
            findings="again",
            signers=[c.clerk, c.second_clerk],
        )


def _investigate(c, application, signers, *, actor=None):
    return services.application_investigate(
        actor=actor or c.clerk,
        application=application,
        visited_on=today(),
        findings="入户核实：三口之家，无劳动收入",
        signers=signers,
    )


def test_a_visit_is_signed_by_two_distinct_staff(c):
    application = walk_to(c, submit_online(c), "accepted")
    with pytest.raises(ValidationFailed) as caught:
        _investigate(c, application, [c.clerk, c.clerk])
    assert caught.value.code == "visit_signers_not_distinct"
    with pytest.raises(ValidationFailed) as caught:  # staff of another town do not sign
        _investigate(c, application, [c.clerk, c.world.other_town_clerk])
    assert caught.value.code == "visit_signer_not_allowed"
    assert c.world.other_town_clerk.full_name in str(caught.value.message)
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.ACCEPTED
    assert not application.visits.exists()


@pytest.mark.parametrize(
    "second", ["second_clerk", "reviewer", "village_worker", "grid_worker", "village_first"]
)
def test_the_second_signer_is_town_staff_or_the_households_frontline_worker(c, second):
    application = walk_to(c, submit_online(c), "accepted")
    if second == "village_first":  # the order of the two signatures does not matter
        signers = [c.village_worker, c.clerk]
    else:
        signers = [c.clerk, getattr(c, second)]
    application = _investigate(c, application, signers)
    assert application.state == S.INVESTIGATED
    visit = application.visits.get()
    assert [visit.first_signer, visit.second_signer] == signers
    step = CaseStep.objects.filter(object_id=application.pk, transition="investigate").get()
    assert step.payload["signers"] == [s.pk for s in signers]


@pytest.mark.parametrize(
    "second",
    [
        "other_town_clerk",  # staff of another town
        "county_approver",  # decides the case: does not investigate it
        "city_admin",
        "auditor",
        "resident",  # the applicant's side never signs
        "neighbour_village_worker",  # a village worker of another village of the same town
        "wangdian_village_worker",  # ... and of a village of another town
    ],
)
def test_staff_who_cannot_act_on_the_case_do_not_sign_its_visit(c, second):
    application = walk_to(c, submit_online(c), "accepted")
    if second == "neighbour_village_worker":
        signer = neighbour_village(c).village_worker
    elif second == "wangdian_village_worker":
        signer = staff_create(
            actor=None,
            username="village_wangdian",
            full_name="王村干",
            password=PASSWORD,
            grants=[(Role.VILLAGE_WORKER, c.world.regions["wangdian_village"])],
        )
    else:
        signer = c.world.personas[second]
    with pytest.raises(ValidationFailed) as caught:
        _investigate(c, application, [c.clerk, signer])
    assert (caught.value.field, caught.value.code) == ("signers", "visit_signer_not_allowed")
    assert str(signer) in str(caught.value.message)
    application.refresh_from_db()
    assert application.state == S.ACCEPTED and not application.visits.exists()
    assert not CaseStep.objects.filter(object_id=application.pk, transition="investigate").exists()


def test_two_frontline_workers_alone_do_not_sign_a_visit(c):
    application = walk_to(c, submit_online(c), "accepted")
    with pytest.raises(ValidationFailed) as caught:
        _investigate(c, application, [c.village_worker, c.grid_worker])
    assert caught.value.code == "visit_signer_no_town_staff"
    assert "新嘉街道" in str(caught.value.message)
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.ACCEPTED


def test_a_village_worker_with_a_relative_in_the_household_does_not_sign_its_visit(c):
    application = walk_to(c, submit_online(c), "accepted")
    services.relative_register(
        actor=c.clerk,
        region=c.world.regions["330402009"],
        relative=c.world.families["xinjia"].members[1],
        relation="sibling",
        staff=c.village_worker,
    )
    with pytest.raises(ValidationFailed) as caught:
        _investigate(c, application, [c.clerk, c.village_worker])
    assert caught.value.code == "visit_signer_recusal"
    assert c.village_worker.full_name in str(caught.value.message)
    application.refresh_from_db()
    assert application.state == S.ACCEPTED and not application.visits.exists()
    _investigate(c, application, [c.clerk, c.second_clerk])  # a colleague goes instead
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.INVESTIGATED


def test_democratic_appraisal_where_the_programme_requires_it(c):
    application = walk_to(c, submit_online(c, "disaster"), "verified")
    with pytest.raises(Conflict) as caught:
        services.application_town_review(
            actor=c.second_clerk,
            application=application,
            recommendation="approve",
            proposed_amount=Decimal("5000"),
        )
    assert caught.value.extra["condition"] == "_appraisal_done_if_required"
    application = services.application_appraise(
        actor=c.clerk, application=application, minutes="村民代表11人评议，同意", outcome="agree"
    )
    application = services.application_town_review(
        actor=c.second_clerk,
        application=application,
        recommendation="approve",
        proposed_amount=Decimal("5000"),
    )
    application = services.application_publish_notice(actor=c.clerk, application=application)
    enrolment = services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )
    assert enrolment.one_off_amount == Decimal("5000.00") and enrolment.monthly_amount == 0
    # A programme without appraisal refuses the step.
    dibao = walk_to(c, submit_online(c), "verified")
    with pytest.raises(Conflict):
        services.application_appraise(actor=c.clerk, application=dibao, minutes="x", outcome="y")


# -- worklists and deadlines ----------------------------------------------------------------


def test_worklists_show_each_role_its_cases_overdue_first_with_working_day_deadlines(c):
    first = submit_online(c)
    second = services.application_submit(
        actor=c.clerk,
        programme=programme("temporary"),
        household=c.world.families["xinjia"].household,
        channel="counter",
        applicant=c.world.families["xinjia"].head,
        documents=[*DIBAO_DOCUMENTS, "困难情况说明"],
    )
    tasks = {t.object_id: t for t in Task.objects.filter(closed_at__isnull=True)}
    assert tasks[first.pk].action == "accept"
    assert tasks[first.pk].due_on == calendar.add_working_days(today(), 3)
    assert calendar.working_days_between(tasks[first.pk].started_on, tasks[first.pk].due_on) == 3

    # Make the second case overdue: it comes first, flagged.
    Task.objects.filter(pk=tasks[second.pk].pk).update(due_on=today() - dt.timedelta(days=1))
    items = selectors.worklist(actor=c.clerk)
    assert [(w.application.pk, w.overdue) for w in items] == [(second.pk, True), (first.pk, False)]
    # The county approver has nothing yet; other towns see nothing.
    assert selectors.worklist(actor=c.approver) == []
    assert selectors.worklist(actor=c.world.other_town_clerk) == []

    walk_to(c, first, "notice")
    approver_items = selectors.worklist(actor=c.approver)
    assert [w.task.action for w in approver_items] == ["approve"]
    notice_end = today() + dt.timedelta(days=7)
    assert approver_items[0].task.due_on == calendar.add_working_days(notice_end, 10)


def test_residents_see_only_their_household_applications(c):
    mine = submit_online(c)
    services.application_submit(
        actor=c.world.other_town_clerk,
        programme=programme("dibao"),
        household=c.world.families["wangdian"].household,
        channel="counter",
        applicant=c.world.families["wangdian"].head,
        documents=DIBAO_DOCUMENTS,
    )
    assert list(selectors.application_list(actor=c.resident)) == [mine]
    assert list(selectors.application_list(actor=c.clerk)) == [mine]
    assert selectors.application_list(actor=c.approver).count() == 1
    assert selectors.application_list(actor=c.world.city_admin).count() == 2


def test_a_village_worker_sees_the_applications_of_their_village_only(c):
    neighbour = neighbour_village(c)
    ours = submit_online(c)
    theirs = submit_counter(c, neighbour.family)  # same town, another village
    wangdian = c.world.families["wangdian"]
    elsewhere = services.application_submit(
        actor=c.world.other_town_clerk,
        programme=programme("dibao"),
        household=wangdian.household,
        channel="counter",
        applicant=wangdian.head,
        documents=DIBAO_DOCUMENTS,
    )
    assert list(selectors.application_list(actor=c.village_worker)) == [ours]
    assert list(selectors.application_list(actor=neighbour.village_worker)) == [theirs]
    assert list(selectors.application_list(actor=c.grid_worker)) == [ours]  # their grid's
    assert selectors.application_get(actor=c.village_worker, application_id=ours.pk) == ours
    for hidden in (theirs, elsewhere):
        with pytest.raises(NotFound):
            selectors.application_get(actor=c.village_worker, application_id=hidden.pk)
    # The town sees both of its villages; a village grant does not widen the town's view.
    assert set(selectors.application_list(actor=c.clerk)) == {ours, theirs}
    assert list(selectors.application_list(actor=c.world.other_town_clerk)) == [elsewhere]
    assert len(selectors.application_timeline(actor=c.village_worker, application=ours)) == 1


def test_a_village_worker_sees_the_case_but_takes_none_of_its_steps(c):
    application = walk_to(c, submit_online(c), "accepted")
    available = application.get_available_user_state_transitions(c.village_worker)
    assert [t.name for t in available] == []
    with pytest.raises(PermissionRefused):
        _investigate(c, application, [c.village_worker, c.clerk], actor=c.village_worker)
    with pytest.raises(PermissionRefused):
        services.application_refuse(actor=c.village_worker, application=application, reason="x")
    assert AssistanceApplication.objects.get(pk=application.pk).state == S.ACCEPTED


def test_enrolment_stop_with_graduated_exit_pays_until_the_exit_ends(c):
    application = walk_to(c, submit_online(c), "notice")
    enrolment = services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )
    with pytest.raises(ValidationFailed):
        services.enrolment_stop(
            actor=c.approver, enrolment=enrolment, reason="", end_month=enrolment.start_month
        )
    stopped = services.enrolment_stop(
        actor=c.approver,
        enrolment=enrolment,
        reason="就业后收入超过标准",
        end_month=enrolment.start_month,
        graduated_exit_months=12,
    )
    assert stopped.state == EnrolmentState.STOPPED
    end = stopped.graduated_exit_end_month
    assert (
        end.year - enrolment.start_month.year
    ) * 12 + end.month - enrolment.start_month.month == 12
    assert [r["id"] for r in selectors.enrolments_payable(month=end)] == [stopped.pk]
    after = (end + dt.timedelta(days=32)).replace(day=1)
    assert not list(selectors.enrolments_payable(month=after))
    assert Enrolment.objects.get(pk=stopped.pk).end_month == end
