"""Reading what the DMS drops: the examples of docs/folder-contract.md are valid as written, and
a bad item is refused with every problem at once, each with its place."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from agent.errors import ExchangeItemError
from agent.files.metadata import load_document_folder, load_status_update
from agent.files.schema import BusinessType, StatusCodeOut

CONTRACT = Path(__file__).resolve().parents[3] / "docs" / "folder-contract.md"


def example(name: str) -> str:
    """The code block under ``<!-- example: name -->`` in the folder contract."""
    text = CONTRACT.read_text(encoding="utf-8")
    match = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w+\n(.*?)```", text, re.S)
    assert match, f"no example {name} in {CONTRACT}"
    return match.group(1)


def _folder(tmp_path: Path, metadata_name: str, text: str, *files: str) -> Path:
    folder = tmp_path / "412-STTTT-VP"
    folder.mkdir()
    (folder / metadata_name).write_text(text, encoding="utf-8")
    for name in files:
        (folder / name).write_bytes(b"%PDF-1.4 " + name.encode())
    return folder


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ExchangeItemError) as info:
        load_document_folder(folder)
    assert info.value.hint and "folder-contract.md" in info.value.hint
    return list(info.value.problems)


def test_the_yaml_example_of_the_contract_reads_as_documented(tmp_path: Path) -> None:
    """metadata.yaml from the docs: typed values, DocumentId by convention, two attachments."""
    folder = _folder(tmp_path, "metadata.yaml", example("metadata.yaml"),
                     "412-STTTT-VP.pdf", "phu-luc.pdf")
    request = load_document_folder(folder)
    m = request.metadata
    assert request.recipients == ("000.00.31.H53", "000.22.31.H53")
    assert (m.sender, m.code, m.promulgation.date) == (
        "000.00.13.H53", "412/STTTT-VP", dt.date(2024, 11, 5))
    assert request.document_id("000.00.13.H53") == "000.00.13.H53,2024/11/05,412/STTTT-VP"
    assert [(a.name, a.content_type, a.size) for a in request.attachments] == [
        ("412-STTTT-VP.pdf", "application/pdf", 25), ("phu-luc.pdf", "application/pdf", 20)]
    assert m.staff is not None and m.staff.mobile == "0900000000"


def test_the_json_example_says_the_same_as_the_yaml_one(tmp_path: Path) -> None:
    """The contract's JSON and YAML examples are the same document, key for key."""
    (tmp_path / "y").mkdir()
    (tmp_path / "j").mkdir()
    yaml_folder = _folder(tmp_path / "y", "metadata.yaml", example("metadata.yaml"),
                          "412-STTTT-VP.pdf", "phu-luc.pdf")
    json_folder = _folder(tmp_path / "j", "metadata.json", example("metadata.json"),
                          "412-STTTT-VP.pdf", "phu-luc.pdf")
    yaml_request = load_document_folder(yaml_folder)
    json_request = load_document_folder(json_folder)
    assert json_request.metadata == yaml_request.metadata


def test_the_json_recall_example_keeps_the_original_document_id(tmp_path: Path) -> None:
    """metadata.json from the docs: a recall, no attachment needed, the recalled DocumentId."""
    folder = _folder(tmp_path, "metadata.json", example("metadata-recall.json"))
    request = load_document_folder(folder)
    assert request.metadata.business.type is BusinessType.RECALL
    assert request.document_id("000.00.13.H53") == "000.00.13.H53,2024/11/05,412/STTTT-VP"
    assert request.attachments == ()


def test_every_problem_is_reported_at_once_with_its_place(tmp_path: Path) -> None:
    """Wrong codes, a number not in quotes, a bad date, a misspelt key, a missing field and a
    recall without its reference: all in one error, each with the path of the key."""
    folder = _folder(tmp_path, "metadata.yaml", """
to: [000.00.31.H53, UBND huyện Bến Cầu]
number: 0412
notation: STTTT-VP
subject: V/v thử nghiệm
document_type: {name: Công văn}
promulgation: {date: 05/11/2024}
signer: {fullname: Nguyễn Văn A}
business: {type: update}
""", "a.pdf")
    assert _problems(folder) == [
        "metadata.yaml: At 'to[1]': 'UBND huyện Bến Cầu' is not an organ code (mã định danh)"
        " like 000.00.13.H53",
        "metadata.yaml: At 'number': must be text; write codes and numbers in quotes, e.g."
        ' "412"',
        "metadata.yaml: At 'promulgation.date': '05/11/2024' is not a date; write it as"
        " 2024-11-05",
        "metadata.yaml: At 'signer.full_name': required, and missing",
        "metadata.yaml: At 'signer.fullname': unknown key (did you mean 'full_name'?)",
        "metadata.yaml: At 'business': an update needs 'document_id': the DocumentId of the"
        " document it refers to",
    ]


def test_attachment_problems_are_found_on_disk(tmp_path: Path) -> None:
    """Missing, outside the folder, a symbolic link, unlisted, or a folder: each reported."""
    folder = _folder(tmp_path, "metadata.yaml", """
to: [000.00.31.H53]
number: "412"
notation: STTTT-VP
subject: V/v thử nghiệm
document_type: {name: Công văn}
promulgation: {date: 2024-11-05}
attachments:
  - file: missing.pdf
  - file: ../../etc/passwd
  - file: link.pdf
  - file: sub
  - file: ok.pdf
""", "ok.pdf", "extra.pdf")
    (tmp_path / "secret").write_text("secret")
    os.symlink(tmp_path / "secret", folder / "link.pdf")
    (folder / "sub").mkdir()
    assert _problems(folder) == [
        "metadata.yaml: At 'attachments[0]': 'missing.pdf' is missing, not a file",
        "metadata.yaml: At 'attachments[1]': '../../etc/passwd' must be a path inside the"
        " document folder",
        "metadata.yaml: At 'attachments[2]': 'link.pdf' is a symbolic link; put the file itself",
        "metadata.yaml: At 'attachments[3]': 'sub' is a folder, not a file",
        "extra.pdf: in the folder but not listed in 'attachments'",
    ]


def test_without_a_list_every_file_is_attached_and_names_are_checked(tmp_path: Path) -> None:
    """Attachments omitted: the folder's files in name order; ignored names are left out."""
    folder = _folder(tmp_path, "metadata.json", """{"to": ["000.00.31.H53"], "number": "1",
        "notation": "UBND", "subject": "s", "document_type": {"name": "Quyết định"},
        "promulgation": {"date": "2024/11/05"}}""", "b.pdf", "a.pdf", ".DS_Store")
    request = load_document_folder(folder)
    assert [a.name for a in request.attachments] == ["a.pdf", "b.pdf"]


def test_a_new_document_needs_an_attachment(tmp_path: Path) -> None:
    """A new document with no file at all is refused (the signed PDF is the document)."""
    folder = _folder(tmp_path, "metadata.yaml", example("metadata.yaml").split("attachments:")[0])
    assert _problems(folder) == [
        "metadata.yaml: a document needs at least one attachment (the signed PDF)"]


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("metadata.yaml", "to: [a\n  b: c", "metadata.yaml: line 2, column 4:"),
    ("metadata.json", '{"to": }', "metadata.json: line 1, column 8: Expecting value"),
    ("metadata.yaml", "- just\n- a list\n", "the top level must be a mapping"),
])
def test_unreadable_metadata_says_where(tmp_path: Path, name: str, text: str,
                                        problem: str) -> None:
    """Syntax errors carry line and column; a non-mapping is refused as such."""
    folder = _folder(tmp_path, name, text, "a.pdf")
    [found] = _problems(folder)
    assert problem in found


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("metadata.yaml", "to: [000.00.31.H53]\nto: [000.00.00.G22]\n",
     "metadata.yaml: line 2, column 1: the key 'to' appears twice"),
    ("metadata.json", '{"to": ["000.00.31.H53"], "to": ["000.00.00.G22"]}',
     "metadata.json: the key 'to' appears twice"),
    ("metadata.yaml", "a: &x [1, 2]\nb: [*x, *x, *x]\n",
     "metadata.yaml: line 2, column 5: aliases (*name) are not allowed"),
])
def test_repeated_keys_and_yaml_aliases_are_refused(tmp_path: Path, name: str, text: str,
                                                     problem: str) -> None:
    """A key given twice would silently keep the last value (a different recipient list);
    YAML aliases allow exponential 'billion laughs' documents. Both are refused."""
    folder = _folder(tmp_path, name, text, "a.pdf")
    assert _problems(folder) == [problem]


def test_metadata_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """A metadata file in a legacy encoding (TCVN3, Windows-1258) is refused, not misread."""
    folder = _folder(tmp_path, "metadata.yaml", "", "a.pdf")
    (folder / "metadata.yaml").write_bytes("subject: Công văn".encode("cp1258"))
    assert _problems(folder) == ["metadata.yaml: not UTF-8 text (byte 10)"]


def test_two_metadata_files_are_refused(tmp_path: Path) -> None:
    """Exactly one metadata file: YAML and JSON side by side is ambiguous."""
    folder = _folder(tmp_path, "metadata.yaml", example("metadata.yaml"), "a.pdf")
    (folder / "metadata.json").write_text("{}")
    assert _problems(folder) == [
        "exactly one metadata file is needed (metadata.yaml, metadata.json found)"]


def test_an_oversized_metadata_file_is_not_read(tmp_path: Path) -> None:
    """The size limit is checked before parsing."""
    folder = _folder(tmp_path, "metadata.yaml", "#" * 5000, "a.pdf")
    with pytest.raises(ExchangeItemError, match="5000 bytes, more than the 1024 allowed"):
        load_document_folder(folder, max_metadata_bytes=1024)


@pytest.mark.parametrize("name", ["status-out.json", "status-out.yaml"])
def test_the_status_out_examples_read_as_documented(tmp_path: Path, name: str) -> None:
    """Both status-out examples of the contract are valid; the code keeps its two digits."""
    path = tmp_path / name
    path.write_text(example(name), encoding="utf-8")
    update = load_status_update(path)
    assert update.document_id == "000.00.13.H53,2024/11/05,412/STTTT-VP"
    assert update.status_code in {"03", "16"}


def test_a_status_time_needs_its_timezone(tmp_path: Path) -> None:
    """'09:15' alone could be Vietnam time or UTC: a time without an offset is refused."""
    path = tmp_path / "s.yaml"
    path.write_text("document_id: D1\ncode: '03'\ntime: 2024-11-05 09:15:00\n")
    with pytest.raises(ExchangeItemError) as info:
        load_status_update(path)
    assert info.value.problems == ("s.yaml: At 'time': Input should have timezone info",)


def test_a_status_update_with_a_code_the_dms_may_not_send_is_refused(tmp_path: Path) -> None:
    """01 is the agent's own, 13 is the sender's: a status-out file may not use them."""
    path = tmp_path / "s.json"
    path.write_text('{"document_id": "D1", "code": "01", "extra": 1}')
    with pytest.raises(ExchangeItemError) as info:
        load_status_update(path)
    assert info.value.problems == (
        "s.json: At 'code': 1 is not one of the allowed values",
        "s.json: At 'extra': unknown key",
    )
    assert StatusCodeOut(15).name == "AGREED"
