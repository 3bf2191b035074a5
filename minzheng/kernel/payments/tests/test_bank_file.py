import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from minzheng.common.errors import Conflict, PermissionRefused
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.payments.models import BankFileExport, BatchState, PaymentLine
from minzheng.kernel.payments.selectors import payment_line_preview
from minzheng.kernel.payments.services import (
    payee_account_create,
    payment_batch_approve,
    payment_batch_export,
    payment_batch_generate,
    payment_batch_submit,
)
from minzheng.kernel.payments.tests.factories import (
    BANK_CODE,
    LABEL,
    MONTH,
    PROGRAMME,
    account_number,
    payroll,
)
from minzheng.kernel.people.services import person_update
from minzheng.testing.world import NANHU

pytestmark = pytest.mark.django_db


def _approved(world):
    setup = payroll(world)
    batch = payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=setup.entitlements(),
        label=LABEL,
    ).batch
    batch = payment_batch_submit(actor=world.county_approver, batch=batch)
    return setup, payment_batch_approve(actor=setup.second_approver, batch=batch)


def _csv(world, batch, actor=None):
    out = io.BytesIO()
    payment_batch_export(actor=actor or world.county_approver, batch=batch, out=out)
    return out.getvalue()


def test_the_csv_holds_the_documented_layout_with_full_account_numbers(world):
    setup, batch = _approved(world)
    data = _csv(world, batch)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "户名", "账号", "开户行行号", "开户行", "金额", "用途", "业务参考号"]
    lines = list(PaymentLine.objects.filter(batch=batch).order_by("pk"))
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert [r[2] for r in rows[1:]] == [
        account_number(100),
        account_number(101),
        account_number(102),
    ]
    assert [r[1] for r in rows[1:]] == [a.holder_name for a in setup.accounts]
    assert [r[5] for r in rows[1:]] == ["500.00", "650.50", "720.00"]
    assert {r[6] for r in rows[1:]} == {"2026年12月最低生活保障金"}
    assert [r[3] for r in rows[1:]] == [BANK_CODE] * 3
    assert [int(r[7]) for r in rows[1:]] == [line.pk for line in lines]
    batch.refresh_from_db()
    assert batch.state == BatchState.EXPORTED


def test_the_excel_file_has_the_same_rows(world):
    _setup, batch = _approved(world)
    csv_rows = list(csv.reader(io.StringIO(_csv(world, batch).decode("utf-8-sig"))))
    out = io.BytesIO()
    payment_batch_export(actor=world.county_approver, batch=batch, out=out, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    xlsx_rows = [[str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows


def test_previews_are_masked_and_exports_are_audited(world):
    _setup, batch = _approved(world)
    preview = payment_line_preview(actor=world.auditor, batch=batch)
    flat = repr(preview)
    assert len(preview) == 3
    assert account_number(100) not in flat and "62220200" not in flat.replace(" ", "")
    assert preview[0]["account_number_masked"] == "6222 **** **** 0100"
    assert preview[0]["holder_name_masked"] == "张*国"
    assert "holder_name" not in preview[0] and "account_number_ciphertext" not in preview[0]
    assert not AuditEvent.objects.filter(action="payments.bank_file.export").exists()
    data = _csv(world, batch)
    event = AuditEvent.objects.get(action="payments.bank_file.export")
    export = BankFileExport.objects.get()
    assert event.actor_id == world.county_approver.pk
    assert event.changes["lines"] == 3 and event.changes["sha256"] == export.sha256
    import hashlib

    assert hashlib.sha256(data).hexdigest() == export.sha256


def test_only_an_approved_batch_is_exported_and_only_by_exporters(world):
    setup = payroll(world)
    batch = payment_batch_generate(
        actor=world.county_approver,
        programme=PROGRAMME,
        county=world.regions[NANHU],
        month=MONTH,
        entitlements=setup.entitlements(),
        label=LABEL,
    ).batch
    with pytest.raises(Conflict):
        _csv(world, batch)
    batch = payment_batch_approve(
        actor=setup.second_approver,
        batch=payment_batch_submit(actor=world.county_approver, batch=batch),
    )
    for actor in (world.town_clerk, world.auditor, world.other_town_clerk):
        with pytest.raises(PermissionRefused):
            _csv(world, batch, actor=actor)
    assert not BankFileExport.objects.exists()


def test_register_edits_after_approval_change_neither_the_batch_nor_its_file(world):
    _setup, batch = _approved(world)
    before = _csv(world, batch)
    lines_before = list(PaymentLine.objects.filter(batch=batch).values())
    head = world.families["xinjia"].head
    head = person_update(actor=None, person=head, name="张建华")
    payee_account_create(
        actor=None,
        person=head,
        bank_name="农业银行",
        bank_code="103335000022",
        account_number=account_number(555),
        holder_name="张建华",
    )
    after = _csv(world, batch)
    assert after == before
    assert list(PaymentLine.objects.filter(batch=batch).values()) == lines_before
    batch.refresh_from_db()
    assert batch.total_amount == Decimal("1870.50")


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_the_file_is_the_same_whatever_the_page_size(world, monkeypatch, chunk):
    """Pages are read ahead while the previous one is decrypted (PostgreSQL): every line once,
    in order, whether the last page is full (1, 3) or short (2)."""
    from minzheng.kernel.payments import bankfile

    _setup, batch = _approved(world)
    monkeypatch.setattr(bankfile, "CHUNK", chunk)
    pages = list(bankfile.rows(batch))
    assert [len(page) for page in pages] == {1: [1, 1, 1], 2: [2, 1], 3: [3]}[chunk]
    flat = [row for page in pages for row in page]
    lines = list(PaymentLine.objects.filter(batch=batch).order_by("pk"))
    assert [row[0] for row in flat] == [1, 2, 3]
    assert [row[7] for row in flat] == [line.pk for line in lines]
    assert [row[2] for row in flat] == [account_number(n) for n in (100, 101, 102)]


def test_a_reader_that_stops_early_leaves_the_transaction_usable(world, monkeypatch):
    """The export service's transaction holds the cursor (server-side on PostgreSQL); a
    reader that stops after the first page closes it and may go on with its transaction."""
    from minzheng.kernel.payments import bankfile

    _setup, batch = _approved(world)
    monkeypatch.setattr(bankfile, "CHUNK", 1)
    pages = bankfile.rows(batch)
    first = next(pages)
    pages.close()
    assert [row[2] for row in first] == [account_number(100)]
    assert PaymentLine.objects.filter(batch=batch).count() == 3
    assert len(_csv(world, batch).splitlines()) == 4  # the header and three lines


def test_the_csv_quotes_fields_exactly_as_the_csv_module_does(world):
    """The database writes most of each CSV line (sequence, quoting, amount, purpose): the
    bytes equal what the csv module writes for the same rows, also for a holder or bank
    name with a comma, a quote or a line break, and for a back-pay line of another month."""
    import datetime as dt

    from minzheng.kernel.payments import bankfile
    from minzheng.kernel.payments.models import LineKind, PaymentBatch

    _setup, batch = _approved(world)
    lines = list(PaymentLine.objects.filter(batch=batch).order_by("pk"))
    PaymentLine.objects.filter(pk=lines[0].pk).update(holder_name='张"三",二')
    PaymentLine.objects.filter(pk=lines[1].pk).update(
        bank_name="嘉兴\r\n支行", kind=LineKind.BACK_PAY, for_month=dt.date(2026, 10, 1)
    )
    PaymentLine.objects.filter(pk=lines[2].pk).update(bank_code="")
    PaymentBatch.objects.filter(pk=batch.pk).update(programme_label='低保,"X"')
    batch.refresh_from_db()
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow(bankfile.HEADER)
    for page in bankfile.rows(batch):
        writer.writerows(page)
    written = _csv(world, batch)
    assert written == b"\xef\xbb\xbf" + expected.getvalue().encode()
    parsed = list(csv.reader(io.StringIO(written.decode("utf-8-sig"), newline="")))
    assert parsed[1][1] == '张"三",二'
    assert parsed[2][4] == "嘉兴\r\n支行"
    assert parsed[2][6] == '补发2026年10月低保,"X"'
    assert parsed[3][3] == ""
    assert BankFileExport.objects.get(batch=batch).line_count == 3


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_the_csv_is_the_same_whatever_the_page_size(world, monkeypatch, chunk):
    """The CSV's pages are read ahead too (PostgreSQL), and each line's purpose is looked up
    by its kind and month: the bytes equal what the csv module writes, in pages of any size,
    for lines of three kinds and two months, also a month before the keys' epoch."""
    import datetime as dt

    from minzheng.kernel.payments import bankfile
    from minzheng.kernel.payments.models import LineKind

    _setup, batch = _approved(world)
    lines = list(PaymentLine.objects.filter(batch=batch).order_by("pk"))
    PaymentLine.objects.filter(pk=lines[1].pk).update(
        kind=LineKind.BACK_PAY, for_month=dt.date(1999, 12, 1)
    )
    PaymentLine.objects.filter(pk=lines[2].pk).update(kind=LineKind.REISSUE, reissue_of=lines[0].pk)
    monkeypatch.setattr(bankfile, "CHUNK", chunk)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    for page in bankfile.rows(batch):
        writer.writerows(page)
    pages = list(bankfile.csv_pages(batch))
    assert [lines for _text, lines in pages] == {1: [1, 1, 1], 2: [2, 1], 3: [3]}[chunk]
    assert "".join(text for text, _lines in pages) == expected.getvalue()
    purposes = [row[6] for row in csv.reader(io.StringIO(expected.getvalue()))]
    assert purposes == [
        f"2026年12月{LABEL}",
        f"补发1999年12月{LABEL}",
        f"2026年12月{LABEL}（重发）",
    ]
