"""`lienthong-agent edxml inspect | build` on real files: output, exit codes, messages."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from agent.cli import main
from agent.core.edxml import EdocPackage, StatusPackage, parse_package
from tests.unit.edxml.examples import ALL, EDOC_NEW

METADATA = """\
kind: edoc
header:
  sender: {organ_id: 000.00.13.H53, organ_name: Sở TT&TT tỉnh Tây Ninh}
  recipients:
    - {organ_id: 000.00.31.H53, organ_name: UBND huyện Bến Cầu}
  document_id: 000.00.13.H53,2024/11/05,412/STTTT-VP
  code: {code_number: 412, code_notation: STTTT-VP}
  promulgation_info: {place: Tây Ninh, promulgation_date: 2024/11/05}
  document_type: {type: 1, type_detail: 0, type_name: Công văn}
  subject: "V/v thử nghiệm <b> & \\"x\\""
  other_info: {priority: 0, page_amount: 1, direction: false}
  to_places: [Như trên, "Lưu: VT, VP"]
attachments:
  - file: files/cv.pdf
    description: Công văn
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    for name, data in ALL.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_inspect_text_shows_the_essentials(examples: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Organs, document id, business type, attachment digest and verdict; exit 0."""
    code, out, _ = _run(capsys, "edxml", "inspect", str(examples / "edoc-new.edxml"))
    assert 0 == code
    for expected in ("000.00.13.H53", "000.22.31.H53", "business  new", "667 bytes",
                     "91c677aaa2b3eacf598ddb28d9c28af59b13c0fa0659f64e58ede87018f761e8", "valid"):
        assert expected in out


@pytest.mark.parametrize("name", sorted(ALL))
def test_inspect_json_of_each_example(name: str, examples: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Every example is valid at strict level; the JSON has the documented sections (the
    signature section belongs to `edxml verify`; here it only has to be a list)."""
    code, out, _ = _run(capsys, "edxml", "inspect", "--json", "--level", "strict",
                        str(examples / name))
    report = json.loads(out)
    assert (0, True, [], [], list, str(examples / name)) == (
        code, report["valid"], report["problems"], report["signature_elements"],
        type(report["signatures"]), report["file"])


def test_inspect_refuses_a_hostile_file_with_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1; the operator message on stderr, or the error object in --json."""
    hostile = tmp_path / "xxe.edxml"
    hostile.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    code, _, err = _run(capsys, "edxml", "inspect", str(hostile))
    assert (1, True) == (code, "external entity (XXE)" in err)
    code, out, _ = _run(capsys, "edxml", "inspect", "--json", str(hostile))
    assert (1, "ExternalEntityError", False) == (
        code, json.loads(out)["error"]["error"], json.loads(out)["valid"])


def test_inspect_reports_a_rule_violation_and_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Parsable but not bkav-valid → exit 1 with the problem; a missing file → exit 1."""
    broken = tmp_path / "no-subject.edxml"
    broken.write_bytes(re.sub(rb"<edXML:Subject>[^<]*<", b"<edXML:Subject> <", EDOC_NEW))
    code, out, _ = _run(capsys, "edxml", "inspect", str(broken))
    assert (1, True) == (code, "MessageHeader/Subject" in out)
    code, _, err = _run(capsys, "edxml", "inspect", str(tmp_path / "absent.edxml"))
    assert (1, True) == (code, "cannot read" in err)


def test_build_from_yaml_then_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A YAML metadata file, one attachment from the file and one from --attachment (a one-entry
    ZIP, which inspect shows unwrapped); the result parses to what the metadata says."""
    (tmp_path / "files").mkdir()
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 1000
    (tmp_path / "files" / "cv.pdf").write_bytes(pdf)
    (tmp_path / "meta.yaml").write_text(METADATA, encoding="utf-8")
    wrapped = io.BytesIO()
    with zipfile.ZipFile(wrapped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0b6e1c.pdf", pdf)
    (tmp_path / "phu-luc.zip").write_bytes(wrapped.getvalue())
    out_path = tmp_path / "out" / "pkg.edxml"
    out_path.parent.mkdir()
    code, out, _ = _run(capsys, "edxml", "build", "--metadata", str(tmp_path / "meta.yaml"),
                        "--attachment", str(tmp_path / "phu-luc.zip"), "-o", str(out_path))
    assert (0, ["pkg.edxml"]) == (code, sorted(p.name for p in out_path.parent.iterdir()))
    with out_path.open("rb") as stream:
        package = parse_package(stream)
    assert isinstance(package, EdocPackage)
    assert ('V/v thử nghiệm <b> & "x"', "412", ["cv.pdf", "phu-luc.zip"],
            ["application/pdf", "application/zip"]) == (
        package.header.subject, package.header.code.code_number,
        [a.attachment_name for a in package.attachments],
        [a.content_type for a in package.attachments])
    assert "new" == package.business_doc_type.name.lower()
    code, out, _ = _run(capsys, "edxml", "inspect", "--json", str(out_path))
    attachments = json.loads(out)["attachments"]
    assert (0, ["cv.pdf", "phu-luc.pdf"], len(pdf)) == (
        code, [a["deliver_name"] for a in attachments], attachments[1]["unwrapped"]["size"])


def test_inspect_json_header_is_valid_build_metadata(
    examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """inspect --json's header and trace_list feed build --metadata (JSON) unchanged."""
    _, out, _ = _run(capsys, "edxml", "inspect", "--json", str(examples / "edoc-revoke.edxml"))
    report = json.loads(out)
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"header": report["header"], "trace_list": report["trace_list"]}))
    code, _, _ = _run(capsys, "edxml", "build", "--metadata", str(meta), "-o",
                      str(tmp_path / "again.edxml"))
    _, again, _ = _run(capsys, "edxml", "inspect", "--json", str(tmp_path / "again.edxml"))
    assert (0, report["header"], report["trace_list"]) == (
        code, json.loads(again)["header"], json.loads(again)["trace_list"])


def test_build_a_status_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kind: status; the timestamp defaults to now (Vietnam time)."""
    meta = tmp_path / "status.json"
    meta.write_text(json.dumps({"kind": "status", "header": {
        "sender": {"organ_id": "000.00.31.H53"},
        "response_for": {"organ_id": "000.00.13.H53", "code": "412/STTTT-VP",
                         "document_id": "D-1"},
        "status_code": "01"}}))
    code, _, _ = _run(capsys, "edxml", "build", "--metadata", str(meta), "-o",
                      str(tmp_path / "s.edxml"))
    with (tmp_path / "s.edxml").open("rb") as stream:
        package = parse_package(stream)
    assert isinstance(package, StatusPackage)
    assert (0, "01", True) == (code, package.header.status_code,
                               package.header.timestamp is not None)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("kind: edoc\nheader: {sender: {organ_id: x}, recipients: [], document_id: d, x: 1}\n",
         "metadata at 'header': unknown key(s) x"),
        ("kind: memo\n", "'kind': 'memo' is not edoc or status"),
        ("header: [\n", "cannot be read"),
        ("kind: edoc\nheader: {sender: {organ_id: x}, recipients: [], document_id: d}\n",
         "MessageHeader/To is required"),
        ("kind: edoc\nheader: {sender: {organ_id: x}, recipients: [{organ_id: y}], "
         "document_id: d}\nattachments: [{file: nope.pdf}]\n", "attachment file"),
    ],
    ids=["unknown-key", "bad-kind", "bad-yaml", "no-recipient", "missing-file"],
)
def test_build_errors_exit_1_with_the_operator_message(
    metadata: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing is left behind: no output file, no partial file."""
    meta = tmp_path / "meta.yaml"
    meta.write_text(metadata, encoding="utf-8")
    code, _, err = _run(capsys, "edxml", "build", "--metadata", str(meta), "-o",
                        str(tmp_path / "x.edxml"))
    assert (1, True, ["meta.yaml"]) == (code, message in err,
                                         sorted(p.name for p in tmp_path.iterdir()))
