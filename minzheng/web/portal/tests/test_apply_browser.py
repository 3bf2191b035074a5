"""Browser journey on a phone: a resident logs in with a code, applies for temporary
assistance step by step and lands on the progress page with the case number and QR code
(Playwright driving Debian's Chromium)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from minzheng.domains.assistance.models import AssistanceApplication, VerificationAuthorisation
from minzheng.kernel.notifications.backends import MemorySmsBackend
from minzheng.web.backoffice.tests.test_browser import (  # noqa: F401 - the browser fixture
    SCREENSHOTS,
    browser,
    open_page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = "13900000011"


def _log_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.locator("#id_phone").fill(PHONE)
    page.locator("#login-step button[type=submit]").first.click()
    page.wait_for_selector("#id_code")
    code = re.search(r"\d{6}", MemorySmsBackend.outbox[-1].text).group(0)  # type: ignore[union-attr]
    page.locator("#id_code").fill(code)
    page.locator("#login-step form").first.locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/portal/")


def test_resident_applies_for_temporary_assistance_on_a_phone(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    page = open_page(browser, width=390, height=844)
    _log_in(page, live_server.url)

    page.locator("a[href='/portal/apply/']").click()
    page.locator("form[action$='/apply/temporary/start/'] button").click()
    page.wait_for_url(re.compile(r".*/situation/$"))
    page.locator("input[name=temporary_reason][value=illness]").check()
    page.locator("#id_circumstances").fill("丈夫突发重病住院，家中无其他收入")
    page.locator("#id_monthly_income").fill("0")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r".*/documents/$"))
    page.locator("#id_document").select_option("居民身份证")
    page.locator("#id_file").set_input_files(
        {"name": "id.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n%id\n%%EOF\n"}
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#uploaded-files li")
    page.locator("main a[href$='/authorisation/']").last.click()

    page.wait_for_url(re.compile(r".*/authorisation/$"))
    checkboxes = page.locator("input[name=members]")
    assert checkboxes.count() == 2  # the two adults; the child is not asked
    for index in range(checkboxes.count()):
        checkboxes.nth(index).check()
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r".*/submit/$"))
    # Every step says until when the unsubmitted draft is kept; so does the resident's page.
    assert page.locator("[data-testid=draft-removal]").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-apply-review.png"), full_page=True)
    review = page.url
    page.goto(f"{live_server.url}/portal/")
    assert page.locator("[data-testid=draft-removal]").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "portal-home-draft.png"), full_page=True)
    page.goto(review)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/portal/applications/\d+/$"))

    application = AssistanceApplication.objects.get()
    assert page.locator("#case-number").inner_text() == application.case_number
    assert page.locator("img.portal-qr").is_visible()
    assert VerificationAuthorisation.objects.filter(application=application).count() == 2
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-application.png"), full_page=True)
