"""Where the parser writes decoded attachment bytes.

The parser calls :meth:`AttachmentSink.open` when an attachment's payload starts, writes the decoded
bytes to the returned stream in blocks, and **closes** it when the payload ends (or when parsing
fails: the caller then discards what was written). ``content_id`` (bare, without ``cid:``) and
``declared_name`` are those read *before* the payload: every known producer writes them first; they
are ``""`` otherwise. Use the final :class:`~agent.core.edxml.model.AttachmentInfo` for the
authoritative values, and never use ``declared_name`` as a path without
:func:`agent.core.edxml.names.safe_attachment_name`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class AttachmentSink(Protocol):
    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO: ...


class _Discarding(io.BytesIO):
    def write(self, data: ReadableBuffer, /) -> int:
        return memoryview(data).nbytes


class DiscardSink:
    """Throws the bytes away; the parser still reports each attachment's size and SHA-256."""

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        return _Discarding()


class _Kept(io.BytesIO):
    def __init__(self, store: dict[int, bytes], index: int) -> None:
        super().__init__()
        self._store = store
        self._index = index

    def close(self) -> None:
        if not self.closed:
            self._store[self._index] = self.getvalue()
        super().close()


class MemorySink:
    """Keeps every attachment in memory, by index. For tests and small packages only."""

    def __init__(self) -> None:
        self.payloads: dict[int, bytes] = {}
        self.opened: list[tuple[int, str, str]] = []

    def open(self, index: int, content_id: str, declared_name: str) -> BinaryIO:
        self.opened.append((index, content_id, declared_name))
        return _Kept(self.payloads, index)
