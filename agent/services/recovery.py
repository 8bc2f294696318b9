"""Start-up reconciliation of the folders with the journal, before any worker starts.

The journal itself needs no recovery: at open it hands out every unsettled item again, and each
is resumed by its next step (:mod:`agent.services.engine`). What is left to do is in the folders:

* temporary files and folders of interrupted writes (staged inbox folders, half-written packages,
  signed PDFs) are removed: nothing refers to them, and each step rebuilds what it needs;
* claims that hold no item (a crash between creating a claim and the rename) are removed;
* outbox claims without a journal row (a crash right after the pickup rename) are registered;
* status-out claims still in the work area are processed again (queueing is idempotent);
* spooled packages of items already settled (a crash between the acknowledgement and the
  clean-up) are removed;
* unsettled outbound items whose claim folder is missing are reported (an operator removed it;
  their next step fails them with that reason).

The costs are proportional to the work in progress, never to the archives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.core.lifecycle import MACHINES, Kind, ReceiptOutState
from agent.errors import StorageError
from agent.files.atomic import disk_errors
from agent.files.inbox import safe_component
from agent.files.layout import OrganFolders
from agent.files.reconcile import (
    claims,
    remove_empty_claims,
    remove_temp_leftovers,
    temp_leftovers,
    unregistered_claims,
)
from agent.observability import get_logger, log_context
from agent.services.context import ServiceContext
from agent.services.organs import FolderSet
from agent.services.pickup import Pickup
from agent.services.receipts_out import ReceiptSender

log = get_logger(__name__)
_SCAN_LIMIT = 1_000_000


@dataclass
class RecoveryReport:
    temporary_removed: int = 0
    empty_claims_removed: int = 0
    claims_registered: list[str] = field(default_factory=list)
    status_out_resumed: int = 0
    spool_removed: int = 0
    sent_receipt_packages_removed: int = 0
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class Recovery:
    def __init__(self, ctx: ServiceContext, pickup: Pickup, sender: ReceiptSender) -> None:
        self._ctx = ctx
        self._pickup = pickup
        self._sender = sender

    def run(self) -> RecoveryReport:
        report = RecoveryReport()
        with log_context(step="recovery"):
            in_spool = self._unsettled_doc_ids()
            for folder_set in self._ctx.organs.folder_sets():
                self._folders(folder_set, report, in_spool)
            report.missing = self._missing_claims()
        if report.claims_registered or report.missing or report.status_out_resumed:
            log.warning("start-up recovery", **report.to_dict())
        else:
            log.info("start-up recovery", **report.to_dict())
        return report

    def _folders(self, folder_set: FolderSet, report: RecoveryReport, in_spool: set[str]) -> None:
        folders = folder_set.folders
        folders.ensure()
        report.temporary_removed += remove_temp_leftovers(temp_leftovers(folders))
        report.empty_claims_removed += len(remove_empty_claims(folders.work_outbound))
        report.empty_claims_removed += len(remove_empty_claims(folders.work_status_out))
        for claim in unregistered_claims(folders.work_outbound, self._ctx.journal.known_claims):
            self._pickup.register(folder_set, claim)
            report.claims_registered.append(claim.name)
        for claim in claims(folders.work_status_out):
            self._sender.take_status(folder_set, claim)
            report.status_out_resumed += 1
        report.spool_removed += self._clean_spool(folders, in_spool)
        report.sent_receipt_packages_removed += self._clean_sent_receipts(folders)

    def _unsettled(self, kind: Kind) -> list[str]:
        states = [s.value for s in MACHINES[kind].steps]
        return [item.label for item in self._ctx.journal.list_items(kind, states=states,
                                                                     limit=_SCAN_LIMIT)]

    def _unsettled_doc_ids(self) -> set[str]:
        return {safe_component(doc_id, 64) for kind in (Kind.INBOUND, Kind.RECEIPT_IN)
                for doc_id in self._unsettled(kind)}

    def _clean_spool(self, folders: OrganFolders, in_use: set[str]) -> int:
        removed = 0
        with disk_errors("clean the spool"):
            for path in folders.spool.glob("*.edxml"):
                if path.stem not in in_use:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def _clean_sent_receipts(self, folders: OrganFolders) -> int:
        """Receipt packages whose send is recorded: the process stopped between the journal's
        record and the removal. A failed receipt keeps its package (``retry`` sends it again)."""
        removed = 0
        with disk_errors("clean sent receipt packages"):
            for path in folders.work_status_out.glob("receipt-*.edxml"):
                number = path.stem.removeprefix("receipt-")
                if not number.isdigit():
                    continue
                record = self._ctx.journal.receipt_out(int(number))
                if record is not None and record.state == ReceiptOutState.SENT:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def _missing_claims(self) -> list[str]:
        missing = []
        journal = self._ctx.journal
        states = [s.value for s in MACHINES[Kind.OUTBOUND].steps]
        for summary in journal.list_items(Kind.OUTBOUND, states=states, limit=_SCAN_LIMIT):
            record = journal.outbound(summary.id)
            if record is None:
                continue
            folders = self._ctx.organs.folders(record.organ_id)
            places: list[Path] = [folders.work_outbound / record.claim_id,
                                  folders.sent / record.claim_id,
                                  folders.failed / record.claim_id]
            try:
                if not any(place.exists() for place in places):
                    missing.append(record.claim_id)
            except OSError as exc:
                raise StorageError(f"cannot check the claim {record.claim_id}: {exc}") from exc
        return missing
