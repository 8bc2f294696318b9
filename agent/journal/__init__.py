"""The journal: durable state of every document, receipt and poll, behind the :class:`Journal` port.

The only package with SQL. :class:`SqliteJournal` implements the port today; see
:mod:`agent.journal.port` for the contract every backend keeps.
"""

from agent.journal.port import Journal
from agent.journal.records import (
    Agency,
    DocumentFacts,
    ErrorInfo,
    InboundRecord,
    ItemSummary,
    JournalSummary,
    ListedItem,
    OutboundRecord,
    PollRecord,
    ReceiptInRecord,
    ReceiptOutRecord,
    ReceiptRequest,
    RecipientRecord,
    StatusFacts,
    TimelineEntry,
)
from agent.journal.sqlite import SqliteJournal

__all__ = [
    "Agency",
    "DocumentFacts",
    "ErrorInfo",
    "InboundRecord",
    "ItemSummary",
    "Journal",
    "JournalSummary",
    "ListedItem",
    "OutboundRecord",
    "PollRecord",
    "ReceiptInRecord",
    "ReceiptOutRecord",
    "ReceiptRequest",
    "RecipientRecord",
    "SqliteJournal",
    "StatusFacts",
    "TimelineEntry",
]
