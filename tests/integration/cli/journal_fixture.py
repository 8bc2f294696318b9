"""A journal with one item in each interesting state, written through the real journal API.

``populate`` returns the ids the tests refer to. Times are fixed (T0 and after) so the text and
JSON output can be compared exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from agent.core.lifecycle import Kind
from agent.journal import DocumentFacts, ReceiptRequest, SqliteJournal, StatusFacts

T0 = dt.datetime(2024, 11, 5, 1, 30, tzinfo=dt.UTC)
VN = dt.timezone(dt.timedelta(hours=7))
SENDER, DISTRICT, COMMUNE = "000.00.13.H53", "000.00.31.H53", "000.22.31.H53"
DOC_ID = "000.00.13.H53,2024/11/05,412/STTTT-VP"
OUT, IN, RO, RI = Kind.OUTBOUND, Kind.INBOUND, Kind.RECEIPT_OUT, Kind.RECEIPT_IN


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Items:
    sent: int  # out: archived, receipts 01 then 03 and 06 from the district
    failed: int  # out: failed after the axis refused it, signed bytes kept
    failed_unsigned: int  # out: failed at validation, nothing kept
    uploading: int  # out: pending (retry-wait) with an error
    received: int  # in: delivered and acknowledged, automatic 01 queued
    quarantined: int  # in: rejected
    receipt_failed: int  # receipt-out: failed


def facts(document_id: str, code: str = "412/STTTT-VP") -> DocumentFacts:
    return DocumentFacts(document_id=document_id, sender_id=SENDER,
                         recipients=(DISTRICT, COMMUNE), code=code,
                         subject="V/v đôn đốc kết nối phần mềm quản lý văn bản")


def _refused() -> dict[str, str]:
    return {"error": "AxisRejectedError", "code": "axis.rejected",
            "message": "the axis refused sendEdoc with ErrorCode 18", "hint": "check the code"}


def sent_document(journal: SqliteJournal) -> int:
    item = journal.add_outbound(SENDER, "20241105-0130-412", "412-STTTT-VP", T0)
    journal.record_validated(item.id, facts(DOC_ID), at(1))
    journal.record_package(OUT, item.id, "/work/p.edxml", "ab" * 32, at(2))
    journal.start_attempt(OUT, item.id, at(3))
    journal.record_sent(OUT, item.id, "68edb8c8c2dcb14db773ce44", at(4))
    journal.record_archived(item.id, at(5))
    for n, code in enumerate(("01", "03", "06")):
        listed = journal.record_listed(RI, SENDER, f"r{n}", at(60 * (n + 1)))
        journal.record_fetched(RI, listed.id, f"/spool/r{n}", "00", at(60 * (n + 1)))
        journal.apply_status(listed.id, StatusFacts(
            from_organ=DISTRICT, to_organ=SENDER, document_id=DOC_ID, doc_code="412/STTTT-VP",
            status_code=code, description=f"mã {code}",
            staff={"name": "Trần Thị B", "department": "Văn thư"},
            status_time=dt.datetime(2024, 11, 5, 9, n, tzinfo=VN)), at(60 * (n + 1) + 1))
        journal.record_acknowledged(RI, listed.id, at(60 * (n + 1) + 2))
    return item.id


def failed_document(journal: SqliteJournal, signed: bool) -> int:
    name = "413-STTTT-VP" if signed else "414-STTTT-VP"
    item = journal.add_outbound(SENDER, f"claim-{name}", name, at(10))
    if signed:
        journal.record_validated(item.id, facts(f"{DOC_ID}-{name}", name), at(11))
        journal.record_package(OUT, item.id, "/work/q.edxml", "cd" * 32, at(12))
        journal.start_attempt(OUT, item.id, at(13))
    journal.record_failure(OUT, item.id, _refused(), at(14))
    journal.record_archived(item.id, at(15))
    return item.id


def uploading_document(journal: SqliteJournal) -> int:
    item = journal.add_outbound(SENDER, "claim-415", "415-STTTT-VP", at(20))
    journal.record_validated(item.id, facts(f"{DOC_ID}-415", "415/STTTT-VP"), at(21))
    journal.record_package(OUT, item.id, "/work/r.edxml", "ef" * 32, at(22))
    journal.start_attempt(OUT, item.id, at(23))
    error = {"error": "AxisTransportError", "code": "axis.transport",
             "message": "the axis did not answer in time"}
    journal.record_attempt_failed(OUT, item.id, error, at(600), at(24))
    return item.id


def received_document(journal: SqliteJournal) -> int:
    listed = journal.record_listed(IN, SENDER, "68edb8c8c2dcb14db773ce55", at(30))
    journal.record_fetched(IN, listed.id, "/spool/in1", "11" * 32, at(31))
    journal.record_verified(listed.id, DocumentFacts(
        document_id="000.00.31.H53,2024/11/04,77/UBND-VP", sender_id=DISTRICT,
        recipients=(SENDER,), code="77/UBND-VP", subject="V/v báo cáo"), at(32))
    journal.record_delivered(listed.id, "/srv/lienthong/inbox/77-UBND-VP", None, at(33))
    auto = ReceiptRequest(organ_id=SENDER, to_organ=DISTRICT,
                          document_id="000.00.31.H53,2024/11/04,77/UBND-VP",
                          doc_code="77/UBND-VP", status_code="01",
                          staff={"name": "lienthong-agent", "department": "Văn thư"},
                          inbound_id=listed.id, source_key=f"auto-01:{listed.id}")
    journal.record_acknowledged(IN, listed.id, at(34), receipts=(auto,))
    return listed.id


def quarantined_document(journal: SqliteJournal) -> int:
    listed = journal.record_listed(IN, SENDER, "68edb8c8c2dcb14db773ce66", at(40))
    journal.record_fetched(IN, listed.id, "/spool/in2", "22" * 32, at(41))
    journal.record_failure(IN, listed.id, {"error": "ExternalEntityError",
                                           "code": "xml.external-entity",
                                           "message": "external ENTITY declaration"}, at(42))
    journal.record_acknowledged(IN, listed.id, at(43))
    return listed.id


def failed_receipt(journal: SqliteJournal) -> int:
    receipt = journal.queue_receipt(ReceiptRequest(
        organ_id=SENDER, to_organ=COMMUNE, document_id="X", doc_code=None, status_code="03",
        source_key="status-out:claim-x"), at(50))
    journal.record_failure(RO, receipt.id, _refused(), at(51))
    return receipt.id


def populate(path: Path) -> Items:
    journal = SqliteJournal.open(path)
    try:
        items = Items(
            sent=sent_document(journal), failed=failed_document(journal, True),
            failed_unsigned=failed_document(journal, False),
            uploading=uploading_document(journal), received=received_document(journal),
            quarantined=quarantined_document(journal), receipt_failed=failed_receipt(journal))
        journal.record_poll("edoc:000.00.13.H53", at(100))
        journal.record_poll("status:000.00.13.H53", at(90), error={
            "error": "AxisTransportError", "code": "axis.transport", "message": "refused"})
    finally:
        journal.close()
    return items
