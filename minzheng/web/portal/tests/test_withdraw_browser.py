"""Browser journey on a phone: a resident opens their application's progress page, withdraws
it with a reason (double-clicking the confirm button) and sees it withdrawn, once
(Playwright driving Debian's Chromium)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import ApplicationState, AssistanceApplication, Programme
from minzheng.kernel.workflow.models import CaseStep
from minzheng.web.backoffice.tests.test_browser import (  # noqa: F401 - the browser fixture
    SCREENSHOTS,
    browser,
    open_page,
)
from minzheng.web.portal.tests.test_apply_browser import _log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_resident_withdraws_an_application_on_a_phone(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
) -> None:
    application = services.application_submit(
        actor=world.resident,
        programme=Programme.objects.get(code="dibao"),
        household=world.families["xinjia"].household,
        channel="online",
        description="丈夫失业，妻子患病",
    )
    page = open_page(browser, width=390, height=844)
    _log_in(page, live_server.url)

    page.locator(f"a[href='/portal/applications/{application.pk}/']").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-withdraw-offered.png"), full_page=True)
    page.locator("#withdraw-link").click()
    page.wait_for_url(re.compile(r".*/withdraw/$"))
    page.locator("#id_reason").fill("丈夫已找到工作，收入已超过标准")
    page.screenshot(path=str(SCREENSHOTS / "portal-withdraw-confirm.png"), full_page=True)
    page.locator("#withdraw-form button[type=submit]").dblclick()
    page.wait_for_url(re.compile(rf".*/portal/applications/{application.pk}/$"))
    page.wait_for_selector(".portal-messages")

    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    steps = CaseStep.objects.filter(
        content_type=ContentType.objects.get_for_model(AssistanceApplication),
        object_id=application.pk,
        transition="withdraw",
    )
    assert steps.count() == 1
    assert steps.get().reason == "丈夫已找到工作，收入已超过标准"
    assert page.locator("#withdraw-link").count() == 0
    assert page.locator(".portal-timeline li").count() == 2  # submitted, withdrawn
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "portal-withdrawn.png"), full_page=True)
