"""Keeping the register: register and edit persons, create households, add, end and move members.

Thin: each view validates a form, calls one register service and redirects with a message
(post/redirect/get); a service's refusal comes back as a field error and nothing is saved.
Only actors who may change the register of the record's region (Perm.PEOPLE_CHANGE) get
past the access checks; records outside their regions are not found. Adding, ending and
moving a membership show a confirmation step before anything is written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.people.id_numbers import IdNumberError, parse_id_number
from minzheng.kernel.people.models import Relation, Sex
from minzheng.kernel.people.selectors import (
    household_get,
    household_list,
    id_number_taken,
    person_candidates,
    person_get,
    person_list,
    person_memberships,
)
from minzheng.kernel.people.services import (
    household_add_member,
    household_create,
    household_end_membership,
    person_create,
    person_move_household,
    person_update,
)
from minzheng.kernel.regions.selectors import region_get
from minzheng.web.backoffice.access import actor_of, page, staff_view
from minzheng.web.backoffice.forms import (
    HouseholdCreateForm,
    LeaveReason,
    MemberAddForm,
    MemberEndForm,
    PersonEditForm,
    PersonMoveForm,
    PersonRegisterForm,
    with_current_memberships,
)
from minzheng.web.backoffice.regions_field import MAX_LEVELS, RegionChooser

if TYPE_CHECKING:
    from django import forms

    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.people.models import Household, Membership, Person
    from minzheng.kernel.regions.models import Region

# Where to go after registering a person: on to a new household with them as head, or back
# to adding them to household <id>.
THEN_RE = re.compile(r"^(household|member-\d{1,12})$")
CASCADE_FIELDS = {"registered_region", "residence_region", "region"}
PICKER_FIELDS = {"head", "person"}
PICK_LIMIT = 8
REFUSALS = (ValidationFailed, Conflict)


def can_change(actor: User, region: Region) -> bool:
    """Whether the actor may change the register of `region` (and so sees the buttons)."""
    return has_perm(actor, Perm.PEOPLE_CHANGE, region)


def _require_change(actor: User, region: Region) -> None:
    if not can_change(actor, region):
        raise PermissionRefused(
            _("You may not change records of %(region)s.") % {"region": region.name}
        )


def _bound(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _status(form: forms.Form) -> int:
    return 422 if form.is_bound and form.errors else 200


def _confirmed(request: HttpRequest) -> bool:
    """The clerk pressed "Confirm" on the confirmation step (not "Change")."""
    return request.POST.get("confirmed") == "1" and "revise" not in request.POST


def _confirming(request: HttpRequest, form: forms.Form) -> bool:
    """Show the confirmation step: the form is valid but not yet confirmed."""
    return form.is_valid() and "revise" not in request.POST and not _confirmed(request)


def _initial_person(request: HttpRequest, actor: User, name: str) -> Person | None:
    """A person handed over in the query string (?head=12) when they are in the actor's scope."""
    value = request.GET.get(name, "")
    if request.method != "GET" or not value.isdigit():
        return None
    try:
        return person_get(actor=actor, person_id=int(value))
    except NotFound:
        return None


# Registering and editing a person --------------------------------------------------------------


def _then(request: HttpRequest) -> str:
    value = request.POST.get("then") or request.GET.get("then") or ""
    return value if THEN_RE.match(value) else ""


def _after_register(then: str, person: Person) -> str:
    if then == "household":
        return f"{reverse('backoffice:household_new')}?head={person.pk}"
    if then.startswith("member-"):
        household_id = int(then.removeprefix("member-"))
        return f"{reverse('backoffice:member_add', args=[household_id])}?person={person.pk}"
    return reverse("backoffice:person", args=[person.pk])


def _cancel_url(then: str) -> str:
    if then == "household":
        return reverse("backoffice:household_new")
    if then.startswith("member-"):
        return reverse("backoffice:household", args=[int(then.removeprefix("member-"))])
    return reverse("backoffice:search")


def _existing_person(actor: User, form: PersonRegisterForm) -> Person | None:
    """The person already holding the ID number, when the actor may see them."""
    if form.parsed_id_number is None or not form.has_error("id_number", "id_number_taken"):
        return None
    return person_list(actor=actor, query=form.parsed_id_number.value).first()


@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def person_new(request: HttpRequest) -> HttpResponse:
    """Register a person; a second submit of the same form meets the duplicate check."""
    actor = actor_of(request)
    then = _then(request)
    form = PersonRegisterForm(_bound(request), actor=actor)
    if form.is_bound and form.is_valid():
        try:
            person = person_create(actor=actor, **form.service_arguments())
        except REFUSALS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("%(name)s is now in the register (%(sex)s, born %(birth)s).")
                % {
                    "name": person.name,
                    "sex": person.get_sex_display(),
                    "birth": person.birth_date.isoformat(),
                },
            )
            return redirect(_after_register(then, person))
    context = {
        "form": form,
        "then": then,
        "cancel_url": _cancel_url(then),
        "existing_person": _existing_person(actor, form) if form.is_bound else None,
        "parsed_id_number": form.parsed_id_number if form.is_bound else None,
    }
    return page(request, "backoffice/person_new.html", context, status=_status(form))


@require_POST
@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def person_check_id(request: HttpRequest) -> HttpResponse:
    """The live check of an ID number as the clerk types it: sex and birth date, or the problem.

    Posted, so the number stays out of addresses and logs; the answer never repeats it.
    """
    actor = actor_of(request)
    raw = request.POST.get("id_number", "").strip()
    context: dict[str, Any] = {}
    if raw:
        try:
            parsed = parse_id_number(raw)
        except IdNumberError as error:
            context["problem"] = error.message
        else:
            today = timezone.localdate()
            years = today.year - parsed.birth_date.year
            years -= (today.month, today.day) < (parsed.birth_date.month, parsed.birth_date.day)
            context.update(
                parsed=parsed,
                sex_label=Sex(parsed.sex).label,
                age=years,
                taken=id_number_taken(id_number=parsed.value),
            )
            if context["taken"]:
                context["existing_person"] = person_list(actor=actor, query=parsed.value).first()
    return render(request, "backoffice/_id_check.html", context)


@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    """Change a person's facts; the ID number is not editable here."""
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    _require_change(actor, person.residence_region)
    form = PersonEditForm(_bound(request), actor=actor, person=person)
    if form.is_bound and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("backoffice:person", person_id=person.pk)
        try:
            person_update(actor=actor, person=person, **changes)
        except REFUSALS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("The facts of %(name)s have been saved.") % {"name": person.name}
            )
            if changes.get("death_date") and any(
                m.end_date is None for m in person_memberships(person=person)
            ):
                messages.info(
                    request,
                    _("%(name)s is still a member of a household: end the membership too.")
                    % {"name": person.name},
                )
            return redirect("backoffice:person", person_id=person.pk)
    return page(
        request,
        "backoffice/person_edit.html",
        {"person": person, "form": form},
        status=_status(form),
    )


# Households and their members ------------------------------------------------------------------


@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def household_new(request: HttpRequest) -> HttpResponse:
    """Create a household with its head: a person found by search, or one registered first."""
    actor = actor_of(request)
    initial: dict[str, Any] = {}
    head = _initial_person(request, actor, "head")
    if head is not None:
        initial["head"] = head
    form = HouseholdCreateForm(_bound(request), actor=actor, initial=initial)
    if head is not None and form.chooser.allows(head.residence_region):
        form.initial["region"] = head.residence_region
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            household = household_create(
                actor=actor,
                region=data["region"],
                address=data["address"],
                head=data["head"],
                start_date=data["start_date"],
            )
        except REFUSALS as error:
            form.add_service_error(error, {"person": "head", "relation": "head"})
        else:
            messages.success(
                request,
                _("The household of %(head)s has been created (household no. %(number)s).")
                % {"head": data["head"].name, "number": household.pk},
            )
            return redirect("backoffice:household", household_id=household.pk)
    context = {"form": form, "register_url": f"{reverse('backoffice:person_new')}?then=household"}
    return page(request, "backoffice/household_new.html", context, status=_status(form))


def _changeable_household(actor: User, household_id: int) -> Household:
    household = household_get(actor=actor, household_id=household_id)
    _require_change(actor, household.region)
    return household


def _current(household: Household) -> list[Membership]:
    memberships: list[Membership] = household.all_memberships  # type: ignore[attr-defined]
    return [m for m in memberships if m.end_date is None]


def _head(household: Household) -> Person | None:
    return next((m.person for m in _current(household) if m.relation == Relation.HEAD), None)


@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def member_add(request: HttpRequest, household_id: int) -> HttpResponse:
    """Add a person who lives in no household yet; confirm, then add."""
    actor = actor_of(request)
    household = _changeable_household(actor, household_id)
    head = _head(household)
    initial: dict[str, Any] = {}
    chosen = _initial_person(request, actor, "person")
    if chosen is not None:
        initial["person"] = chosen
    form = MemberAddForm(
        _bound(request), actor=actor, household_has_head=head is not None, initial=initial
    )
    if form.is_bound and _confirmed(request) and form.is_valid():
        data = form.cleaned_data
        try:
            household_add_member(
                actor=actor,
                household=household,
                person=data["person"],
                relation=data["relation"],
                start_date=data["start_date"],
            )
        except REFUSALS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("%(name)s has joined the household as %(relation)s.")
                % {"name": data["person"].name, "relation": Relation(data["relation"]).label},
            )
            return redirect("backoffice:household", household_id=household.pk)
    context = {
        "household": household,
        "head": head,
        "form": form,
        "confirming": form.is_bound and _confirming(request, form),
        "register_url": f"{reverse('backoffice:person_new')}?then=member-{household.pk}",
    }
    return page(request, "backoffice/member_add.html", context, status=_status(form))


@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def member_end(request: HttpRequest, household_id: int, person_id: int) -> HttpResponse:
    """End a current member's membership (date and reason); it stays as history."""
    actor = actor_of(request)
    household = _changeable_household(actor, household_id)
    membership = next((m for m in _current(household) if m.person_id == person_id), None)
    if membership is None:
        raise NotFound(_("This person is not a current member of the household."))
    form = MemberEndForm(_bound(request))
    if form.is_bound and _confirmed(request) and form.is_valid():
        try:
            household_end_membership(
                actor=actor,
                membership=membership,
                end_date=form.cleaned_data["end_date"],
                reason=form.recorded_reason(),
            )
        except REFUSALS as error:
            form.add_service_error(error)
        else:
            person = membership.person
            messages.success(
                request,
                _("%(name)s has left the household; the membership stays in its history.")
                % {"name": person.name},
            )
            if form.cleaned_data["reason"] == LeaveReason.DIED and person.death_date is None:
                messages.info(request, _("Record the date of death on the person's page too."))
            return redirect("backoffice:household", household_id=household.pk)
    context = {
        "household": household,
        "head": _head(household),
        "membership": membership,
        "form": form,
        "confirming": form.is_bound and _confirming(request, form),
    }
    return page(request, "backoffice/member_end.html", context, status=_status(form))


@never_cache
@staff_view(perm=Perm.PEOPLE_CHANGE)
def person_move(request: HttpRequest, person_id: int) -> HttpResponse:
    """Move a person to another household: the old membership ends, a new one starts."""
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    memberships = person_memberships(person=person)
    current = next((m for m in memberships if m.end_date is None), None)
    _require_change(actor, current.household.region if current else person.residence_region)
    form = PersonMoveForm(
        _bound(request), actor=actor, current=current.household if current else None
    )
    if form.is_bound and _confirmed(request) and form.is_valid():
        data = form.cleaned_data
        try:
            person_move_household(
                actor=actor,
                person=person,
                household=data["household"],
                relation=data["relation"],
                move_date=data["move_date"],
                reason=form.recorded_reason(),
            )
        except REFUSALS as error:
            form.add_service_error(error, {"end_date": "move_date", "start_date": "move_date"})
        else:
            messages.success(
                request,
                _("%(name)s now lives in household no. %(number)s (%(address)s).")
                % {
                    "name": person.name,
                    "number": data["household"].pk,
                    "address": data["household"].address,
                },
            )
            return redirect("backoffice:person", person_id=person.pk)
    context = {
        "person": person,
        "current_membership": current,
        "form": form,
        "confirming": form.is_bound and _confirming(request, form),
        "target_head": _head(form.cleaned_data["household"])
        if form.is_bound and form.is_valid()
        else None,
    }
    return page(request, "backoffice/person_move.html", context, status=_status(form))


# Pickers and the region cascade (htmx fragments) -----------------------------------------------


def _checked(request: HttpRequest, field: str) -> int | None:
    """The id chosen in a picker before the clerk searched again (sent along by htmx)."""
    value = request.GET.get(field, "")
    return int(value) if value.isdigit() else None


@staff_view(perm=Perm.PEOPLE_CHANGE)
def person_pick(request: HttpRequest) -> HttpResponse:
    """Persons matching what the clerk types, as radio buttons for a household form.

    A person chosen before stays first in the list, so searching again keeps the choice.
    """
    actor = actor_of(request)
    field = request.GET.get("field", "")
    field = field if field in PICKER_FIELDS else "person"
    query = request.GET.get("q", "").strip()[:50]
    candidates = person_candidates(actor=actor, query=query, limit=PICK_LIMIT)
    checked = _checked(request, field)
    if checked is not None and all(person.pk != checked for person in candidates):
        try:
            candidates.insert(0, person_get(actor=actor, person_id=checked))
        except NotFound:
            checked = None
    return render(
        request,
        "backoffice/_person_choices.html",
        {"field_name": field, "candidates": candidates, "query": query, "checked": checked},
    )


@staff_view(perm=Perm.PEOPLE_CHANGE)
def household_pick(request: HttpRequest) -> HttpResponse:
    """Households the actor may change matching what the clerk types, as radio buttons.

    A household chosen before stays first in the list, so searching again keeps the choice.
    """
    actor = actor_of(request)
    query = request.GET.get("q", "").strip()[:50]
    exclude = request.GET.get("exclude", "")
    households: list[Household] = []
    if query:
        households = list(
            household_list(actor=actor, query=query, perm=Perm.PEOPLE_CHANGE)[: PICK_LIMIT + 1]
        )
        households = [h for h in households if str(h.pk) != exclude][:PICK_LIMIT]
    checked = _checked(request, "household")
    if checked is not None and all(household.pk != checked for household in households):
        try:
            chosen = household_get(actor=actor, household_id=checked)
        except NotFound:
            checked = None
        else:
            if can_change(actor, chosen.region):
                households.insert(0, with_current_memberships(chosen))
            else:
                checked = None
    return render(
        request,
        "backoffice/_household_choices.html",
        {"field_name": "household", "households": households, "query": query, "checked": checked},
    )


@staff_view(perm=Perm.PEOPLE_CHANGE)
def region_choices(request: HttpRequest) -> HttpResponse:
    """The select of the regions under the one just chosen in a cascade (empty at the bottom)."""
    name = request.GET.get("field", "")
    depth = request.GET.get("depth", "")
    if name not in CASCADE_FIELDS or not depth.isdigit() or not 0 < int(depth) < MAX_LEVELS:
        raise NotFound(_("No such list of regions."), code="region_not_found")
    code = request.GET.get(name, "").strip()
    if not code:
        return HttpResponse("")
    actor = actor_of(request)
    parent = region_get(actor=actor, code=code)
    chooser = RegionChooser(actor)
    if not chooser.allows(parent):
        raise NotFound(_("No such list of regions."), code="region_not_found")
    level = chooser.children(name=name, field_id=f"id_{name}", parent=parent, depth=int(depth))
    return render(request, "backoffice/_region_level.html", {"level": level})
