"""The axis operations (AXIS.md §5.4) with typed arguments and results, over :class:`AxisWire`.

Packages travel as files and streams, never whole in memory: :meth:`AxisClient.send_edoc` reads
the package twice (once for ``hash-file``, once while uploading with a known Content-Length, and
aborts if the bytes changed in between); :meth:`AxisClient.get_edoc` decodes the base64 ``data`` of
the answer straight into a binary sink.
"""

from __future__ import annotations

import errno
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol, TypeVar

from agent.axis import models
from agent.axis.models import (
    AckStatus,
    Agency,
    AgencyQD20,
    AgencyRegistration,
    FetchedEdoc,
    MessageType,
    ReceivedItem,
    SentEdoc,
    SentRow,
    SyncUnit,
)
from agent.axis.wire import JSON_TYPE, OCTET_TYPE, AxisWire, Envelope
from agent.core.xroad import hash_file_hex
from agent.errors import AxisProtocolError, DiskFullError, StorageError

_READ = 1 << 16
T = TypeVar("T")


class BinarySink(Protocol):
    """Where a fetched package goes: an open binary file, a hashing wrapper, ..."""

    def write(self, data: bytes, /) -> object: ...


HashFileStyle = Literal["unpadded", "padded", "none"]


@dataclass(frozen=True, slots=True)
class ApiSettings:
    servicetype: str = "eDoc"
    # "unpadded": as the SDK writes hash-file (no leading zero per byte, §5.3); "none": omit it.
    hash_file_style: HashFileStyle = "unpadded"
    append_crlf: bool = True  # the SDK appends CRLF to the sendEdoc body
    strict_doc_ids: bool = True  # DocIds must be 24 hex characters


class AxisClient:
    """Every operation of the national axis API (VNPT SDK 2.0.1)."""

    def __init__(self, wire: AxisWire, settings: ApiSettings | None = None) -> None:
        self._wire = wire
        self.settings = settings or ApiSettings()

    # --- documents -------------------------------------------------------------------------------

    def send_edoc(
        self,
        from_organ: str,
        package: Path | BinaryIO,
        *,
        messagetype: MessageType = "edoc",
        to: Sequence[str] | None = None,
    ) -> SentEdoc:
        """Upload an edXML package (edoc or status) and return the axis's DocId for it."""
        _check_choice(messagetype, ("edoc", "status"), "messagetype")
        _check_token(from_organ, "from_organ")
        with _PackageStream(package) as stream:
            start = stream.tell()
            size, digest = _hash_stream(stream)
            params, hash_file = self._send_params(from_organ, messagetype, to, digest)
            tail = b"\r\n" if self.settings.append_crlf else b""
            stream.seek(start)
            members = self._wire.call(
                "sendEdoc", params, body=_upload(stream, size, digest, tail),
                content_type=OCTET_TYPE, upload=True,
                extra_headers=[(b"Content-Length", str(size + len(tail)).encode("ascii"))],
            )
        doc_id = models.Reader(members, "sendEdoc answer").doc_id("DocId", strict=True)
        return SentEdoc(doc_id, size, digest.hex(), hash_file)

    def _send_params(
        self, from_organ: str, messagetype: str, to: Sequence[str] | None, digest: bytes
    ) -> tuple[list[tuple[str, str]], str]:
        params = [("from", from_organ), ("servicetype", self.settings.servicetype),
                  ("messagetype", messagetype)]
        if to is not None:
            recipients = [_check_token(t, "to") for t in to]
            params.append(("to", json.dumps(recipients, separators=(",", ":"))))
        style = self.settings.hash_file_style
        hash_file = "" if style == "none" else hash_file_hex(digest, padded=style == "padded")
        if hash_file:
            params.append(("hash-file", hash_file))
        return params, hash_file

    def get_received_edoc_list(
        self, messagetype: MessageType = "edoc", *, from_date: str | None = None,
        to_date: str | None = None,
    ) -> list[ReceivedItem]:
        """Items waiting for this system (not yet acknowledged ``done``)."""
        _check_choice(messagetype, ("edoc", "status"), "messagetype")
        params = [("servicetype", self.settings.servicetype), ("messagetype", messagetype)]
        params += [(k, v) for k, v in (("fromDate", from_date), ("toDate", to_date)) if v]
        members = self._wire.call("getReceivedEdocList", params)
        strict = self.settings.strict_doc_ids
        return _read_rows(members, "getReceivedEdocList",
                          lambda o, w: models.read_received_item(o, w, strict_ids=strict))

    def get_edoc(self, doc_id: str, sink: BinarySink) -> FetchedEdoc:
        """Fetch one package, base64-decoded into ``sink`` as it arrives (flat memory)."""
        doc_id = self._doc_id(doc_id)
        counter = _CountingSink(sink)
        self._wire.call_streamed("getEdoc", [("docId", doc_id)], sink=counter.write, body=b"{}")
        return FetchedEdoc(doc_id, counter.size, counter.sha256.hexdigest())

    def download_edoc(self, doc_id: str, sink: BinarySink) -> FetchedEdoc:
        """SDK 2.0.1's GET download: raw edXML, or a getEdoc-like JSON answer (shape unknown)."""
        doc_id = self._doc_id(doc_id)
        counter = _CountingSink(sink)
        self._wire.call_streamed("downloadEdoc", [("docId", doc_id)], sink=counter.write,
                                 method="GET", raw_xml=True)
        return FetchedEdoc(doc_id, counter.size, counter.sha256.hexdigest())

    def update_status(
        self, doc_id: str, status: AckStatus, description: str | None = None
    ) -> None:
        """Acknowledge a received item: ``done`` removes it from the list, ``fail`` reports it."""
        _check_choice(status, ("done", "fail", "processing"), "status")
        params = [("docId", self._doc_id(doc_id)), ("status", status)]
        if description:
            params.append(("description", _one_line(description)))
        self._wire.call("updateStatus", params, body=b"{}")

    def get_sent_edoc_list(
        self, doc_id: str, messagetype: MessageType = "edoc"
    ) -> list[SentRow]:
        """The delivery rows (one per recipient) of a document this system sent."""
        _check_choice(messagetype, ("edoc", "status"), "messagetype")
        params = [("servicetype", self.settings.servicetype), ("messagetype", messagetype),
                  ("docId", self._doc_id(doc_id))]
        members = self._wire.call("getSentEdocList", params)
        return _read_rows(members, "getSentEdocList", models.read_sent_row)

    def count_receive_edoc(self) -> int:
        return self._count("countReceiveEdoc", "edoc")

    def count_receive_status(self) -> int:
        return self._count("countReceiveStatus", "status")

    # --- directory -------------------------------------------------------------------------------

    def get_agencies_list(self) -> list[Agency]:
        members = self._wire.call("getAgenciesList")
        return _read_rows(members, "getAgenciesList", models.read_agency)

    def get_agencies_list_qd20(self, level: int | str = 1) -> list[AgencyQD20]:
        members = self._wire.call("getAgenciesListQD20", [("level", str(level))])
        return _read_rows(members, "getAgenciesListQD20", models.read_agency_qd20)

    def get_synchronize_unit(self) -> list[SyncUnit]:
        members = self._wire.call("getSynchronizeUnit")
        return _read_rows(members, "getSynchronizeUnit", models.read_sync_unit)

    def register_agency(self, agency: AgencyRegistration) -> None:
        body = json.dumps(agency.to_json(), ensure_ascii=False, separators=(",", ":"))
        self._wire.call("registerAgency", body=body.encode("utf-8"))

    def delete_agency(self, code: str) -> None:
        self._wire.call("deleteAgency", [("AgencyCode", _check_token(code, "code"))], body=b"{}")

    # --- helpers ---------------------------------------------------------------------------------

    def _count(self, operation: str, messagetype: str) -> int:
        params = [("servicetype", self.settings.servicetype), ("messagetype", messagetype)]
        members = self._wire.call(operation, params, body=b"{}", content_type=JSON_TYPE)
        count = models.Reader(members, f"{operation} answer").opt_int("count")
        if count is None or count < 0:
            raise AxisProtocolError(f"{operation}: the answer has no usable 'count'")
        return count

    def _doc_id(self, doc_id: str) -> str:
        try:
            return models.check_doc_id(doc_id, "docId", strict=self.settings.strict_doc_ids)
        except AxisProtocolError as exc:
            raise ValueError(exc.message) from None


def _read_rows(members: Envelope, operation: str, read: Callable[[object, str], T]) -> list[T]:
    data = models.rows(members, operation)
    return [read(row, f"{operation} row {i}") for i, row in enumerate(data)]


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def _check_token(value: str, name: str) -> str:
    if not value or not value.isprintable() or value != value.strip():
        raise ValueError(f"{name} {value!r:.60} is empty or has spaces or control characters")
    return value


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _CountingSink:
    def __init__(self, sink: BinarySink) -> None:
        self._sink = sink
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> None:
        try:
            self._sink.write(data)
        except OSError as exc:
            raise _storage_error(exc, "writing the fetched package") from exc
        self.size += len(data)
        self.sha256.update(data)


class _PackageStream:
    """A context manager giving a seekable binary stream; opens (and closes) a Path."""

    def __init__(self, package: Path | BinaryIO) -> None:
        self._package = package
        self._owned: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        if isinstance(self._package, Path):
            try:
                self._owned = self._package.open("rb")
            except OSError as exc:
                raise _storage_error(exc, f"opening the package {self._package.name!r}") from exc
            return self._owned
        if not self._package.seekable():
            raise ValueError("the package stream must be seekable (it is read twice)")
        return self._package

    def __exit__(self, *exc: object) -> None:
        if self._owned is not None:
            self._owned.close()


def _hash_stream(stream: BinaryIO) -> tuple[int, bytes]:
    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(stream):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.digest()


def _upload(stream: BinaryIO, size: int, digest: bytes, tail: bytes) -> Iterator[bytes]:
    """The body: the same bytes as hashed (else abort mid-upload), then the SDK's CRLF."""
    again = hashlib.sha256()
    sent = 0
    for chunk in _chunks(stream):
        sent += len(chunk)
        if sent > size:
            break
        again.update(chunk)
        yield chunk
    if sent != size or again.digest() != digest:
        raise StorageError(
            "the package file changed while it was being sent; the upload was aborted",
            hint="producers must drop finished files by atomic rename",
        )
    if tail:
        yield tail


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        try:
            chunk = stream.read(_READ)
        except OSError as exc:
            raise _storage_error(exc, "reading the package") from exc
        if not chunk:
            return
        yield chunk


def _storage_error(exc: OSError, doing: str) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"no space left while {doing}")
    return StorageError(f"{doing} failed: {exc.strerror or exc}")
