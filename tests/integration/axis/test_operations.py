"""Every axis operation of AXIS.md §5.4 against the real sandbox, through AxisClient."""

from __future__ import annotations

import errno
import hashlib
import io
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from agent.axis.api import ApiSettings
from agent.axis.models import AgencyRegistration
from agent.errors import AxisAuthError, AxisRejectedError, DiskFullError, StorageError
from tests.integration.axis.conftest import (
    COMMUNE,
    DISTRICT,
    LOCKED,
    SENDER,
    Axis,
    start_sandbox,
    utc_now,
    write_edoc,
    write_status,
)

HEX24 = re.compile(r"^[0-9a-f]{24}$")


def test_send_receive_fetch_acknowledge(fresh_axis: Axis, tmp_path: Path) -> None:
    """A's package reaches B's list once per recipient, fetches byte-identical, and is acked."""
    a, b = fresh_axis.client("00.53.W00"), fresh_axis.client("02.44.W00")
    package = tmp_path / "out.edxml"
    sha = write_edoc(package)
    sent = a.send_edoc(SENDER, package)
    assert HEX24.match(sent.doc_id) and sent.sha256 == sha and sent.size == package.stat().st_size
    assert b.count_receive_edoc() == 2
    items = b.get_received_edoc_list("edoc")
    assert sorted(t for item in items for t in item.to) == [DISTRICT, COMMUNE]
    assert {item.from_code for item in items} == {SENDER}
    assert {item.status for item in items} == {"initial"}

    fetched = io.BytesIO()
    result = b.get_edoc(items[0].doc_id, fetched)
    assert fetched.getvalue() == package.read_bytes()
    assert result.sha256 == sha and result.size == package.stat().st_size

    b.update_status(items[0].doc_id, "done", "Đã nhận, vào sổ văn bản đến")
    assert [i.doc_id for i in b.get_received_edoc_list()] == [items[1].doc_id]
    rows = a.get_sent_edoc_list(sent.doc_id)
    assert sorted(r.to_code or "" for r in rows) == [DISTRICT, COMMUNE]
    done = [r for r in rows if r.receiver_doc_id == items[0].doc_id]
    assert len(done) == 1 and done[0].receive_status == "done"


def test_download_edoc_gives_the_raw_package(fresh_axis: Axis, tmp_path: Path) -> None:
    """The GET downloadEdoc (2.0.1) streams the raw edXML into the sink."""
    package = tmp_path / "out.edxml"
    sha = write_edoc(package, recipients=(DISTRICT,))
    fresh_axis.client("00.53.W00").send_edoc(SENDER, package)
    b = fresh_axis.client("02.44.W00")
    (item,) = b.get_received_edoc_list()
    sink = io.BytesIO()
    result = b.download_edoc(item.doc_id, sink)
    assert sink.getvalue() == package.read_bytes() and result.sha256 == sha


def test_send_from_a_stream_with_to_and_padded_hash(fresh_axis: Axis, tmp_path: Path) -> None:
    """A seekable stream works as the package; padded hash-file and a 'to' list are accepted."""
    package = tmp_path / "out.edxml"
    write_edoc(package, recipients=(DISTRICT,))
    client = fresh_axis.client("00.53.W00")
    client.settings = ApiSettings(hash_file_style="padded")
    stream = io.BytesIO(b"ignored prefix" + package.read_bytes())
    stream.seek(len(b"ignored prefix"))
    sent = client.send_edoc(SENDER, stream, to=[DISTRICT])
    assert sent.hash_file == hashlib.sha256(package.read_bytes()).hexdigest()
    assert fresh_axis.client("02.44.W00").count_receive_edoc() == 1


def test_send_without_hash_file(fresh_axis: Axis, tmp_path: Path) -> None:
    """hash_file_style 'none' omits the header; the axis accepts the package without it."""
    package = tmp_path / "out.edxml"
    write_edoc(package, recipients=(DISTRICT,))
    client = fresh_axis.client("00.53.W00")
    client.settings = ApiSettings(hash_file_style="none")
    assert client.send_edoc(SENDER, package).hash_file == ""
    assert fresh_axis.client("02.44.W00").count_receive_edoc() == 1


def test_status_packages_travel_as_messagetype_status(fresh_axis: Axis, tmp_path: Path) -> None:
    """B's receipt 03 reaches A's status list, not its edoc list."""
    status = tmp_path / "status.edxml"
    write_status(status)
    sent = fresh_axis.client("02.44.W00").send_edoc(DISTRICT, status, messagetype="status")
    a = fresh_axis.client("00.53.W00")
    assert a.count_receive_status() == 1 and a.count_receive_edoc() == 0
    (item,) = a.get_received_edoc_list("status")
    assert item.message_type == "status" and HEX24.match(sent.doc_id)
    sink = io.BytesIO()
    a.get_edoc(item.doc_id, sink)
    assert b"<edXML:StatusCode>03</edXML:StatusCode>" in sink.getvalue()


@pytest.mark.parametrize(
    ("kwargs", "code", "fragment"),
    [
        ({"recipients": ("000.00.99.H53",)}, "18", "Đơn vị nhận không tồn tại"),
        ({"recipients": (LOCKED,)}, "23", "Đơn vị nhận đã khoá"),
        ({"sender": DISTRICT}, "19", "khong dung voi ma da dang ky"),
    ],
)
def test_send_rejections_are_typed(
    axis: Axis, tmp_path: Path, kwargs: dict[str, object], code: str, fragment: str
) -> None:
    """Unknown, locked recipients and a foreign sender come back as AxisRejectedError + code."""
    package = tmp_path / "out.edxml"
    write_edoc(package, **kwargs)  # type: ignore[arg-type]
    sender = str(kwargs.get("sender", SENDER))
    with pytest.raises(AxisRejectedError) as caught:
        axis.client("00.53.W00").send_edoc(sender, package)
    assert caught.value.error_code == code and type(caught.value) is AxisRejectedError
    assert fragment in caught.value.message and caught.value.hint


def test_not_xml_is_a_bad_package(axis: Axis, tmp_path: Path) -> None:
    """A body that is not edXML is refused with the edXML-format code (22)."""
    package = tmp_path / "junk.edxml"
    package.write_bytes(b"<not-edxml/>")
    with pytest.raises(AxisRejectedError) as caught:
        axis.client().send_edoc(SENDER, package)
    assert caught.value.error_code == "22" and "edxml inspect" in (caught.value.hint or "")


def test_wrong_secret_is_an_auth_error(axis: Axis) -> None:
    """The sandbox's signature check refuses a wrong secret; the client raises AxisAuthError."""
    client = axis.client("00.53.W00", secret="not-the-secret")
    with pytest.raises(AxisAuthError) as caught:
        client.get_received_edoc_list()
    assert caught.value.error_code == "15"
    assert "not-the-secret" not in str(caught.value) + repr(caught.value)


def test_unknown_doc_id(axis: Axis) -> None:
    """getEdoc of a DocId the caller does not have is a rejection, classified as not found."""
    with pytest.raises(AxisRejectedError) as caught:
        axis.client().get_edoc("0123456789abcdef01234567", io.BytesIO())
    assert caught.value.error_code == "24" and "unknown to the axis" in (caught.value.hint or "")


def test_bad_arguments_never_reach_the_axis(axis: Axis) -> None:
    """Caller mistakes are ValueErrors raised before any request is signed."""
    client = axis.client()
    with pytest.raises(ValueError, match="24 hex"):
        client.get_edoc("68edb8c8", io.BytesIO())
    with pytest.raises(ValueError, match="status must be one of"):
        client.update_status("0123456789abcdef01234567", "ok")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="messagetype"):
        client.get_received_edoc_list("mail")  # type: ignore[arg-type]


def test_directory_operations(fresh_axis: Axis) -> None:
    """List, QĐ 20 list, synchronisation, register and delete, from B's point of view."""
    b = fresh_axis.client("02.44.W00")
    codes = {a.code for a in b.get_agencies_list()}
    assert {SENDER, DISTRICT, COMMUNE} <= codes
    level2 = b.get_agencies_list_qd20(2)
    assert {a.code102 for a in level2} >= {SENDER, DISTRICT} and COMMUNE not in {
        a.code102 for a in level2}
    b.register_agency(AgencyRegistration(pcode=DISTRICT, code="000.23.31.H53",
                                         name="UBND xã Mới", mail="xamoi@example.gov.vn"))
    assert "000.23.31.H53" in {a.code for a in b.get_agencies_list()}
    b.delete_agency("000.23.31.H53")
    assert "000.23.31.H53" not in {a.code for a in b.get_agencies_list()}
    units = {u.code: u for u in b.get_synchronize_unit()}
    assert units["000.23.31.H53"].deleted is True and units[DISTRICT].center_code == "02.44.W00"


def test_path_prefix(tmp_path: Path) -> None:
    """With a prefix (an adapter inside a provincial network) both sides agree on the URL."""
    server = start_sandbox(tmp_path / "axis", prefix="/XrdAdapter/adapter")
    try:
        with httpx.Client() as http:
            axis = Axis(server, http)
            assert axis.client(prefix="XrdAdapter/adapter").count_receive_edoc() == 0
            with pytest.raises(AxisRejectedError) as caught:
                axis.client(prefix="").count_receive_edoc()
            assert caught.value.error_code == "HTTP 404"
    finally:
        server.stop()


def test_skew_check_sees_a_fresh_timestamp_per_call(tmp_path: Path) -> None:
    """With the sandbox's skew check on, a right clock passes and a clock an hour off fails."""
    server = start_sandbox(tmp_path / "axis", max_skew=60.0)
    try:
        with httpx.Client() as http:
            axis = Axis(server, http)
            for _ in range(3):
                assert axis.client().count_receive_edoc() == 0
            late = axis.client(clock=lambda: utc_now() - timedelta(hours=1))
            with pytest.raises(AxisAuthError, match="timestamp skew"):
                late.count_receive_edoc()
    finally:
        server.stop()


class FullDisk:
    """A sink on a full file system."""

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_local_file_problems_are_storage_errors(fresh_axis: Axis, tmp_path: Path) -> None:
    """A missing package file and a full disk while fetching are StorageErrors, not axis ones."""
    a, b = fresh_axis.client("00.53.W00"), fresh_axis.client("02.44.W00")
    with pytest.raises(StorageError, match="opening the package 'missing.edxml'"):
        a.send_edoc(SENDER, tmp_path / "missing.edxml")
    package = tmp_path / "out.edxml"
    write_edoc(package, recipients=(DISTRICT,))
    a.send_edoc(SENDER, package)
    (item,) = b.get_received_edoc_list()
    with pytest.raises(DiskFullError, match="no space left while writing the fetched package"):
        b.get_edoc(item.doc_id, FullDisk())
    assert [i.doc_id for i in b.get_received_edoc_list()] == [item.doc_id]
