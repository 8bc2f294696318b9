"""Declared attachment names become one safe file-name component, or a specific refusal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.core.edxml.names import safe_attachment_name, unique_names
from agent.errors import UnsafeAttachmentNameError

REFUSED = [
    ("../../etc/cron.d/x", "contains a '..' path-traversal component"),
    ("..", "contains a '..' path-traversal component"),
    ("a/../b.pdf", "contains a '..' path-traversal component"),
    ("..\\..\\boot.ini", "contains a '..' path-traversal component"),
    (". . .", "contains a '..' path-traversal component"),
    ("/etc/passwd", "is an absolute path"),
    ("\\Windows\\win.ini", "is an absolute path"),
    ("C:\\Windows\\x.pdf", "is an absolute path"),
    ("c:x.pdf", "is an absolute path"),
    ("\\\\server\\share\\x.pdf", "is a UNC network path"),
    ("//server/share/x.pdf", "is a UNC network path"),
    ("van ban/x.pdf", "contains a path separator"),
    ("van ban\\x.pdf", "contains a path separator"),
    ("a\x00.pdf", "contains a NUL character"),
    ("a\n.pdf", "contains the control character U+000A"),
    ("a\x7f.pdf", "contains the control character U+007F"),
    ("a\x9b.pdf", "contains the control character U+009B"),
    ("hoa-don\u202efdp.exe", "contains the bidirectional control U+202E"),
    ("CON", "is the reserved Windows device name CON"),
    ("con.pdf", "is the reserved Windows device name CON"),
    ("Nul .txt", "is the reserved Windows device name NUL"),
    ("aux.tar.gz", "is the reserved Windows device name AUX"),
    ("COM9.docx", "is the reserved Windows device name COM9"),
    ("lpt1", "is the reserved Windows device name LPT1"),
    ("com\u00b9.pdf", "is the reserved Windows device name COM1"),
    ("CONOUT$", "is the reserved Windows device name CONOUT$"),
    ("a\u2215b.pdf", "path separator (written with the look-alike U+2215 DIVISION SLASH)"),
    ("a\u2044b.pdf", "look-alike U+2044 FRACTION SLASH"),
    ("a\uff0fb.pdf", "look-alike U+FF0F FULLWIDTH SOLIDUS"),
    ("a\u29f8b.pdf", "look-alike U+29F8 BIG SOLIDUS"),
    ("a\uff3cb.pdf", "look-alike U+FF3C FULLWIDTH REVERSE SOLIDUS"),
    ("a\ufe68b.pdf", "look-alike U+FE68 SMALL REVERSE SOLIDUS"),
    ("a\u2216b.pdf", "look-alike U+2216 SET MINUS"),
    ("\u2025", "'..' path-traversal component (written with the look-alike U+2025"),
    ("\u2024\u2024", "'..' path-traversal component (written with the look-alike U+2024"),
    ("\uff0e\uff0e\u2215x", "path-traversal component (written with the look-alike U+FF0E"),
    ("\uff0f\uff0fsrv\uff0fshare", "is a UNC network path (written with the look-alike U+FF0F"),
    ("", "is empty or consists only of dots and spaces"),
    ("   ", "is empty or consists only of dots and spaces"),
    (".", "is empty or consists only of dots and spaces"),
]


@pytest.mark.parametrize(("declared", "message"), REFUSED, ids=[repr(r[0]) for r in REFUSED])
def test_hostile_names_are_refused_with_a_specific_message(declared: str, message: str) -> None:
    """Each class of hostile name has its own explanation for the operator."""
    with pytest.raises(UnsafeAttachmentNameError) as caught:
        safe_attachment_name(declared)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("declared", "delivered"),
    [
        ("Quyết định 412.pdf", "Quyết định 412.pdf"),
        ("Quye\u0302\u0301t.pdf", "Quyết.pdf"),  # decomposed → NFC
        ("  Công văn.pdf  ", "Công văn.pdf"),
        ("bao cao.docx. . ", "bao cao.docx"),
        ('a<b>:c"d|e?f*.pdf', "a_b__c_d_e_f_.pdf"),
        ("a\u2024\u2024b.pdf", "a\u2024\u2024b.pdf"),  # look-alike dots inside a name are fine
        ("console.pdf", "console.pdf"),
        ("COM10.pdf", "COM10.pdf"),
        (".hidden", ".hidden"),
    ],
)
def test_acceptable_names_are_delivered_in_nfc_and_tidied(declared: str, delivered: str) -> None:
    """Ordinary names pass; NFC, trimmed, Windows-forbidden characters replaced."""
    assert delivered == safe_attachment_name(declared)


def test_overlong_names_keep_their_extension_and_whole_characters() -> None:
    """More than 255 UTF-8 bytes: cut at a character boundary, extension kept."""
    name = "Quyết định " * 40 + ".pdf"
    safe = safe_attachment_name(name)
    assert (True, True, True) == (len(safe.encode()) <= 255, safe.endswith(".pdf"),
                                  name.startswith(safe[:-4].rstrip()))


@given(st.text(max_size=300))
def test_whatever_is_delivered_is_one_safe_component(declared: str) -> None:
    """For any input: either a refusal, or a name without separators, traversal or controls."""
    try:
        safe = safe_attachment_name(declared)
    except UnsafeAttachmentNameError:
        return
    folded = unicodedata.normalize("NFKC", safe)
    assert "/" not in folded and "\\" not in folded and folded.strip(". ") != ""
    assert len(safe.encode()) <= 255 and safe == unicodedata.normalize("NFC", safe)
    assert not any(unicodedata.category(c) == "Cc" for c in safe)


def test_unique_names_number_duplicates_ignoring_case() -> None:
    """a.pdf, A.PDF, a.pdf → a.pdf, A (2).PDF, a (3).pdf; an existing 'a (2).pdf' is skipped."""
    assert ["a.pdf", "A (2).PDF", "a (3).pdf", "b", "b (2)"] == unique_names(
        ["a.pdf", "A.PDF", "a.pdf", "b", "b"]
    )
    assert ["a (2).pdf", "a.pdf", "a (3).pdf"] == unique_names(["a (2).pdf", "a.pdf", "a.pdf"])


def test_unique_names_stay_within_255_bytes() -> None:
    """The numbering suffix never pushes a name over the limit."""
    long = "x" * 251 + ".pdf"
    names = unique_names([long, long])
    assert (long, True, True) == (names[0], names[1].endswith(" (2).pdf"),
                                  len(names[1].encode()) <= 255)
