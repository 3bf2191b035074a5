"""The whole journey of a dibao application in Debian's Chromium, one page per step.

A resident applies online (码上办) → the town clerk accepts → the household visit, signed by
the clerk and the village worker of the household's village → economic verification → the
town reviewer's review → public notice → (the clock moves past the notice) → the county
approver approves → the clerk records the payee account → the month's batch is generated
and submitted by one county officer and approved by another (maker-checker) → the bank file.

Every step is done as its persona with real clicks and form fills, asserts what the page
shows, and saves a full-page screenshot to var/screenshots/journey/NN-<step>.png
(docs/user/journey.md walks through them). The clock is moved the only way the code reads
it: `django.utils.timezone.localdate`, patched for the test (the live server runs in this
process).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation

from minzheng.common import crypto
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models import ApplicationState, AssistanceApplication, Enrolment
from minzheng.domains.assistance.tests.test_casework_support import cast
from minzheng.kernel.payments.bankfile import HEADER
from minzheng.kernel.payments.models import BatchState, PaymentBatch, PaymentLine
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE
from minzheng.testing.world import NANHU
from minzheng.web.backoffice.tests.test_browser import (  # noqa: F401 - the browser fixture
    browser,
    log_in,
    open_page,
)
from minzheng.web.portal.tests.test_apply_browser import _log_in as portal_log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots" / "journey"
ACCOUNT = "6222020200012345678"
BANK = "中国工商银行嘉兴南湖支行"
BANK_CODE = "102335000011"
PDF = b"%%PDF-1.7\n%%journey %d\n%%%%EOF\n"
S = ApplicationState


def zh(text: Any) -> str:
    """A label as the pages show it (Simplified Chinese, whatever its translation is)."""
    with translation.override("zh-hans"):
        return str(translation.gettext(str(text)))


class Journey:
    """Screenshots numbered in the order taken."""

    def __init__(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()
        self.count = 0

    def shot(self, page: Any, name: str) -> None:
        self.count += 1
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(SHOTS / f"{self.count:02d}-{name}.png"), full_page=True)


def _move_clock(monkeypatch: Any, days: int) -> Callable[..., dt.date]:
    """Today as the code reads it (timezone.localdate()) moves `days` ahead."""
    real = timezone.localdate

    def moved(value: Any = None, timezone: Any = None) -> dt.date:
        if value is not None:
            return real(value, timezone)
        return real(None, timezone) + dt.timedelta(days=days)

    monkeypatch.setattr("django.utils.timezone.localdate", moved)
    return moved


def _staff(chromium: Any, base: str, user: Any, password: str) -> Any:
    """A fresh browser context (its own cookies) logged in as `user`."""
    page = open_page(chromium)
    log_in(page, base, user.username, password)
    return page


def _case_page(page: Any, base: str, case_number: str) -> None:
    """From the list of applications to the application page, by clicking its case number."""
    page.goto(f"{base}/assistance/cases/all/")
    page.get_by_role("link", name=case_number).first.click()
    page.wait_for_url(f"**/assistance/cases/{case_number}/")


def _open_step(page: Any, step: str) -> Any:
    """The step's button, its folded form opened (the first step's form is open already)."""
    button = page.locator(f"[data-step={step}]")
    if not button.is_visible():
        button.locator("xpath=ancestor::details/summary").click()
    return button


def _take_step(page: Any, step: str) -> None:
    """Submit a step's form on the case or batch page and wait for the success message."""
    _open_step(page, step).click()
    page.wait_for_load_state("load")
    assert page.locator(".alert-danger").count() == 0, page.locator(".alert-danger").inner_text()
    page.locator(".alert-success").first.wait_for()


def _state(page: Any) -> str:
    return str(page.locator("[data-testid=state]").inner_text()).strip()


def _resident_applies(page: Any, base: str, journey: Journey) -> None:
    """The resident logs in with a texted code and applies for dibao step by step."""
    portal_log_in(page, base)

    page.locator("a[href='/portal/apply/']").first.click()
    page.locator("form[action$='/apply/dibao/start/'] button").click()
    page.wait_for_url(re.compile(r".*/situation/$"))
    page.locator("#id_circumstances").fill("本人失业，妻子体弱多病，孩子上学，家中无固定收入")
    page.locator("#id_monthly_income").fill("0")
    journey.shot(page, "resident-situation")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r".*/documents/$"))
    options = page.locator("#id_document option")
    documents = [
        value
        for value in (options.nth(i).get_attribute("value") for i in range(options.count()))
        if value
    ]
    assert "居民身份证" in documents and "收入情况说明" in documents
    for index, document in enumerate(documents):
        page.locator("#id_document").select_option(document)
        page.locator("#id_file").set_input_files(
            {"name": f"doc{index}.pdf", "mimeType": "application/pdf", "buffer": PDF % index}
        )
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/documents/$"))
        errors = page.locator("main .invalid-feedback, main .alert-danger")
        assert errors.count() == 0, errors.all_inner_texts()
    assert page.locator("#uploaded-files li").count() >= len(documents)
    journey.shot(page, "resident-documents")
    page.locator("main a[href$='/authorisation/']").last.click()

    page.wait_for_url(re.compile(r".*/authorisation/$"))
    checkboxes = page.locator("input[name=members]")
    assert checkboxes.count() == 2  # the two adults sign; the child is not asked
    for index in range(checkboxes.count()):
        checkboxes.nth(index).check()
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r".*/submit/$"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/portal/applications/\d+/$"))


def test_a_dibao_application_from_the_portal_to_the_bank_file(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    world: Any,
    password: str,
    settings: Any,
    tmp_path: Any,
    monkeypatch: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    c = cast(world)
    base = live_server.url
    journey = Journey()
    family = world.families["xinjia"]
    head = family.head

    # 1. The resident applies online on her phone and lands on the progress page.
    resident = open_page(browser, width=390, height=844)
    _resident_applies(resident, base, journey)
    application = AssistanceApplication.objects.get()
    case = application.case_number
    assert resident.locator("#case-number").inner_text() == case
    assert zh(S.SUBMITTED.label) in resident.locator("#application-state").inner_text()
    assert resident.locator("img.portal-qr").is_visible()
    journey.shot(resident, "resident-submitted")

    # 2. The town clerk finds it on the worklist (name masked) and accepts it.
    clerk = _staff(browser, base, c.clerk, password)
    clerk.goto(f"{base}/assistance/cases/")
    row = clerk.get_by_role("row").filter(has_text=case)
    assert mask_name(head.name) in row.inner_text()
    assert head.name not in clerk.locator("main").inner_text()
    journey.shot(clerk, "clerk-worklist")
    row.get_by_role("link", name=case).click()
    clerk.wait_for_url(f"**/assistance/cases/{case}/")
    assert _state(clerk) == zh(S.SUBMITTED.label)
    clerk.locator("#id_accept-note").fill("材料齐全，予以受理")
    _take_step(clerk, "accept")
    assert _state(clerk) == zh(S.ACCEPTED.label)
    journey.shot(clerk, "clerk-accepted")

    # 3. The household visit, signed by the clerk and the village worker of the household's
    # village (陈村干, 新嘉社区), who went along.
    village_worker = c.village_worker
    clerk.locator("#id_investigate-findings").fill("入户核实：三口之家，无劳动收入，住房简陋")
    clerk.locator("#id_investigate-second_signer").fill(village_worker.username)
    _take_step(clerk, "investigate")
    assert _state(clerk) == zh(S.INVESTIGATED.label)
    visit = clerk.locator("[data-testid=visits]")
    assert "入户核实" in visit.inner_text()
    assert f"{c.clerk.full_name}、{village_worker.full_name}" in visit.inner_text()

    # The village worker, the visit's second signer, finds the case of their village in the
    # list and the visit on its page (applicant masked); no step of the case is theirs.
    cosigner = _staff(browser, base, village_worker, password)
    _case_page(cosigner, base, case)
    signed = cosigner.locator("[data-testid=visits]").inner_text()
    assert c.clerk.full_name in signed and village_worker.full_name in signed
    main = cosigner.locator("main").inner_text()
    assert mask_name(head.name) in main and head.name not in main
    assert cosigner.locator("[data-step]").count() == 0
    journey.shot(cosigner, "second-signer-visit")
    cosigner.context.close()

    # 4. Economic verification attaches the household's verification report.
    _take_step(clerk, "verify")
    assert _state(clerk) == zh(S.VERIFIED.label)
    application.refresh_from_db()
    assert application.verification_report_id is not None
    journey.shot(clerk, "clerk-verified")
    clerk.locator("[data-testid=report] a").click()
    clerk.wait_for_url(f"**/verification/reports/{application.verification_report_id}/")
    report = clerk.locator("main").inner_text()
    assert head.id_number_masked in report and case in report  # the report notes the case
    full_id = crypto.decrypt(head.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
    assert full_id not in clerk.content()
    journey.shot(clerk, "verification-report")

    # 5. The town reviewer recommends approval.
    reviewer = _staff(browser, base, c.reviewer, password)
    _case_page(reviewer, base, case)
    reviewer.locator("select[name=town_review-recommendation]").select_option("approve")
    reviewer.locator("#id_town_review-note").fill("符合低保条件，建议批准")
    _take_step(reviewer, "town_review")
    assert _state(reviewer) == zh(S.TOWN_REVIEWED.label)
    journey.shot(reviewer, "town-review")

    # 6. The clerk publishes the public notice: seven days.
    clerk.goto(f"{base}/assistance/cases/{case}/")
    _take_step(clerk, "publish_notice")
    assert _state(clerk) == zh(S.NOTICE.label)
    application.refresh_from_db()
    notice_ends = application.notice_ends_on
    assert notice_ends == timezone.localdate() + dt.timedelta(days=7)
    assert notice_ends.isoformat() in clerk.locator("main").inner_text()
    journey.shot(clerk, "public-notice")

    # 7. While the notice runs the county approver is refused; once it ends, she approves.
    approver = _staff(browser, base, c.approver, password)
    _case_page(approver, base, case)
    _open_step(approver, "approve").click()
    approver.locator(".alert-danger").wait_for()
    assert notice_ends.isoformat() in approver.locator(".alert-danger").inner_text()
    assert _state(approver) == zh(S.NOTICE.label)
    moved = _move_clock(monkeypatch, (notice_ends - timezone.localdate()).days)
    assert moved() == notice_ends
    approver.reload()
    _take_step(approver, "approve")
    assert _state(approver) == zh(S.ENROLLED.label)
    enrolment = Enrolment.objects.get(application=application)
    monthly = enrolment.monthly_amount
    assert monthly > 0
    facts = approver.locator("main").inner_text()
    assert f"{monthly:.2f}" in facts
    assert enrolment.start_month.strftime("%Y-%m") in facts
    # No bank account yet: the enrolment has no payee and the page says so.
    assert enrolment.payee_account_id is None
    assert "未设收款账户" in approver.locator("[data-testid=payee]").inner_text()
    journey.shot(approver, "county-approval")

    # 8. The clerk records the household head's payee account; the page shows it masked.
    clerk.goto(f"{base}/payments/people/{head.pk}/accounts/")
    clerk.locator("#id_bank_name").fill(BANK)
    clerk.locator("#id_bank_code").fill(BANK_CODE)
    clerk.locator("#id_account_number").fill(ACCOUNT)
    clerk.get_by_role("button", name=zh("Record"), exact=True).click()
    clerk.locator(".alert-success").first.wait_for()
    accounts = clerk.locator("[data-testid=accounts]").inner_text()
    assert ACCOUNT not in clerk.content()
    assert ACCOUNT[-4:] in accounts and mask_name(head.name) in accounts
    journey.shot(clerk, "payee-account")
    # The head's new account became the enrolment's payee; the case page shows it masked.
    _case_page(clerk, base, case)
    payee = clerk.locator("[data-testid=payee]").inner_text()
    assert ACCOUNT[-4:] in payee and ACCOUNT not in clerk.content() and "未设收款账户" not in payee
    clerk.context.close()

    # 9. The month's batch: a county officer generates it for the first month paid.
    month = enrolment.start_month
    preparer = _staff(browser, base, c.second_approver, password)
    preparer.goto(f"{base}/payments/")
    preparer.locator("a[href='/payments/generate/']").click()
    preparer.wait_for_url("**/payments/generate/")
    preparer.locator("#id_county").select_option(NANHU)
    preparer.locator("#id_programme").select_option("dibao")
    preparer.locator("#id_month").fill(month.strftime("%Y-%m"))
    journey.shot(preparer, "batch-generate")
    preparer.locator("main form button[type=submit]").click()
    preparer.wait_for_url("**/jobs/*/")
    batch = PaymentBatch.objects.get(programme="dibao", month=month)
    preparer.goto(f"{base}/payments/")
    listed = preparer.get_by_role("row").filter(has_text=batch.case_number).inner_text()
    assert zh(BatchState.GENERATED.label) in listed and f"{monthly:.2f}" in listed
    preparer.get_by_role("link", name=batch.case_number).click()
    preparer.wait_for_url(f"**/payments/{batch.pk}/")
    assert _state(preparer) == zh(BatchState.GENERATED.label)
    line = preparer.locator("[data-testid=lines] tbody tr").filter(has_text=mask_name(head.name))
    assert line.count() == 1
    cells = line.inner_text()
    assert f"{monthly:.2f}" in cells and month.strftime("%Y-%m") in cells
    assert ACCOUNT[-4:] in cells and ACCOUNT not in preparer.content()
    journey.shot(preparer, "batch-generated")

    # 10. ... and submits it; the preparer is not offered the approval (maker-checker).
    preparer.locator("#id_submit-note").fill("本月低保金")
    _take_step(preparer, "submit")
    assert _state(preparer) == zh(BatchState.PREPARED.label)
    assert preparer.locator("[data-step=approve]").count() == 0
    journey.shot(preparer, "batch-submitted")
    preparer.context.close()

    # 11. Another county officer approves the batch and makes the bank file.
    approver.goto(f"{base}/payments/{batch.pk}/")
    _take_step(approver, "approve")
    assert _state(approver) == zh(BatchState.APPROVED.label)
    journey.shot(approver, "batch-approved")
    approver.locator("select[name=export-file_format]").select_option("csv")
    with approver.expect_download() as download_info:
        _open_step(approver, "export").click()
    download = download_info.value
    assert download.suggested_filename == f"{batch.case_number}.csv"
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    paid = [r for r in rows[1:] if r[2] == ACCOUNT]
    assert len(paid) == 1, rows
    sequence, holder, _number, bank_code, bank, amount, purpose, reference = paid[0]
    assert sequence == "1" and holder == head.name
    assert bank_code == BANK_CODE and bank == BANK
    assert Decimal(amount) == monthly
    assert purpose == f"{month.year}年{month.month}月{batch.programme_label}"
    stored = PaymentLine.objects.get(batch=batch, beneficiary_id=family.household.pk)
    assert int(reference) == stored.pk
    # Only the file carries the full number: the line keeps it encrypted, and masked to show.
    assert ACCOUNT.encode() not in bytes(stored.account_number_ciphertext)
    assert (
        stored.account_number_masked.endswith(ACCOUNT[-4:]) and "*" in stored.account_number_masked
    )
    approver.goto(f"{base}/payments/{batch.pk}/")
    assert _state(approver) == zh(BatchState.EXPORTED.label)
    assert ACCOUNT not in approver.content()
    journey.shot(approver, "bank-file")
    approver.context.close()

    # 12. The resident's progress page shows the household enrolled.
    resident.reload()
    assert zh(S.ENROLLED.label) in resident.locator("#application-state").inner_text()
    journey.shot(resident, "resident-enrolled")
    resident.context.close()
    assert journey.count >= 18
