"""The public verification page in Debian's Chromium, on a phone: what a scanner of the QR sees.

Playwright's sync API runs an event loop in this thread, which Django's ORM would refuse
without DJANGO_ALLOW_ASYNC_UNSAFE; the ORM is only used here to set up the data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from minzheng.common import crypto
from minzheng.kernel.documents.services import document_issue, document_revoke
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(live_server: Any, world: Any) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing: apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()
        connections.close_all()


def test_a_phone_scans_the_qr_code_of_a_notice(browser, live_server, world):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    family = world.families["xinjia"]
    full = crypto.decrypt(family.head.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
    document = document_issue(
        actor=world.town_clerk,
        target=family.household,
        kind="acceptance",
        template="documents/notices/generic.html",
        context={"recipient": family.head.name, "paragraphs": [f"身份证号{full}，予以受理。"]},
        title="最低生活保障申请受理通知书",
        authority="嘉兴市南湖区新嘉街道办事处",
        case_number="JX-330402-202611-0099",
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)

    # 1. The QR code opens the verification page: valid, with the notice's public facts.
    page.goto(f"{live_server.url}/v/{document.verification_code}/")
    status = page.locator("#document-status")
    assert status.is_visible()
    text = page.inner_text("main")
    for expected in [
        "最低生活保障申请受理通知书",
        "JX-330402-202611-0099",
        "嘉兴市南湖区新嘉街道办事处",
        document.number,
    ]:
        assert expected in text, expected
    for personal in [family.head.name, full, family.household.address]:
        assert personal not in page.content(), personal
    page.screenshot(path=str(SCREENSHOTS / "document-verify-phone.png"), full_page=True)

    # 2. The office revokes it: the same code now says so.
    document_revoke(actor=world.town_clerk, document=document, reason="重新出具")
    page.reload()
    assert "alert-danger" in (page.locator("#document-status").get_attribute("class") or "")
    page.screenshot(path=str(SCREENSHOTS / "document-revoked-phone.png"), full_page=True)

    # 3. The case-number look-up on the same page answers with the status only.
    page.locator("#id_case_number").fill("JX-330402-202611-0099")
    page.locator("#id_case_number").press("Enter")
    page.wait_for_url("**/v/?case_number=*")
    page.locator("#lookup-result").wait_for()
    assert "最低生活保障申请受理通知书" in page.inner_text("#lookup-result")
    assert family.head.name not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "document-lookup-phone.png"), full_page=True)

    # 4. An unknown code: the friendly page, in Chinese.
    response = page.goto(f"{live_server.url}/v/{'Z' * 32}/")
    assert response is not None and response.status == 404
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.screenshot(path=str(SCREENSHOTS / "document-unknown-phone.png"), full_page=True)
    context.close()
