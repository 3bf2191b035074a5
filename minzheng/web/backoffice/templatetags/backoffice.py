"""Template filters of the back office."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from minzheng.common.masking import mask_phone as _mask_phone
from minzheng.web.backoffice.labels import audit_action_label, job_kind_label, object_type_label

register = template.Library()


@register.filter
def age(person: Any) -> int | str:
    """Age today, or at death for a deceased person."""
    if person is None or not getattr(person, "birth_date", None):
        return ""
    return int(person.age_on(person.death_date or timezone.localdate()))


@register.filter
def mask_phone(phone: str) -> str:
    return _mask_phone(phone or "")


@register.filter
def action_label(action: str) -> str:
    return audit_action_label(action)


@register.filter
def object_label(object_type: str) -> str:
    return object_type_label(object_type)


@register.filter
def job_label(kind: str) -> str:
    return job_kind_label(kind)


@register.filter
def object_url(event: Any) -> str:
    """The back-office page of an audited object, where there is one."""
    routes = {
        "people.person": "backoffice:person",
        "people.household": "backoffice:household",
        "jobs.jobrun": "backoffice:job",
    }
    route = routes.get(event.object_type)
    if route is None or not str(event.object_id).isdigit():
        return ""
    return reverse(route, args=[int(event.object_id)])


@register.filter
def head_of(memberships: list[Any]) -> Any:
    """The head among a household's current memberships (prefetched; no query)."""
    return next((m.person for m in memberships if m.relation == "head"), None)


SECTIONS = {
    "home": "home",
    "search": "search",
    "person": "search",
    "person_reveal": "search",
    "household": "search",
    "person_new": "search",
    "person_edit": "search",
    "person_move": "search",
    "household_new": "search",
    "member_add": "search",
    "member_end": "search",
    "regions": "regions",
    "region": "regions",
    "jobs": "jobs",
    "job": "jobs",
    "audit": "audit",
}


@register.filter
def section_of(url_name: str | None) -> str:
    """The side-navigation section a page belongs to."""
    return SECTIONS.get(url_name or "", "")


@register.simple_tag
def page_range(page_obj: Any) -> list[Any]:
    """Page numbers around the current one, with an ellipsis for the gaps."""
    return list(
        page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
    )


@register.filter
def minutes(duration: Any) -> int:
    """Whole minutes of a timedelta, rounded up."""
    seconds = duration.total_seconds() if duration else 0
    return int(-(-seconds // 60))


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def as_list(value: Any) -> list[Any]:
    """[value], or [] for None: to show one chosen object with a list's template."""
    return [] if value in (None, "") else [value]


@register.filter
def chosen(form: Any, name: str) -> Any:
    """The object chosen so far in the form's picker `name` (see the register forms)."""
    return form.chosen(name)


@register.filter
def relation_label(relation: str) -> str:
    """The display name of a relation to the head of household."""
    from minzheng.kernel.people.models import Relation

    return str(Relation(relation).label) if relation in Relation.values else relation
