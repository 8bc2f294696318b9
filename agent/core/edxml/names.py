"""Turn a declared attachment name into a safe single file-name component.

The name in ``AttachmentName`` comes from the sender and is written into the inbox folder, which
the document system (often on Windows or behind a Samba share) reads. The policy:

**Refused** (:class:`~agent.errors.UnsafeAttachmentNameError`, each with a specific message):

* NUL, control characters (C0, DEL, C1) and Unicode bidirectional controls (U+202A–U+202E,
  U+2066–U+2069, U+200E, U+200F, U+061C: they disguise ``exe.pdf`` as ``fdp.exe``);
* absolute paths: ``/x``, ``\\x``, drive letters ``C:\\x`` and ``C:x``, UNC ``\\\\server\\share``;
* path traversal: a ``..`` component (or dots-and-spaces only, which Windows reduces to ``..``);
* path separators ``/`` and ``\\`` anywhere in the name;
* Windows device names (CON PRN AUX NUL COM1-9 LPT1-9 CONIN$ CONOUT$ CLOCK$), any case, with any
  extension, trailing spaces or superscript digits (``com¹.pdf``);
* empty names and names of only dots and spaces.

Unicode look-alikes count as the real thing: the name is folded with NFKC (``／`` U+FF0F, ``＼``
U+FF3C, ``﹨`` U+FE68, ``․`` U+2024, ``‥`` U+2025, ``．`` U+FF0E...) plus a table of slashes that
NFKC leaves alone (U+2215 DIVISION SLASH, U+2044 FRACTION SLASH, U+29F8 BIG SOLIDUS, U+2216 SET
MINUS, U+29F5, U+29F9, U+2571, U+2572, U+1735) before these checks. The folded form only decides;
the name delivered is the sender's, in NFC.

**Sanitised** (delivered under a corrected name): NFC normalisation; leading and trailing
whitespace and trailing dots removed (Windows drops them); the characters ``< > : " | ? *``, which
Windows forbids, replaced by ``_``; names longer than 255 UTF-8 bytes truncated, keeping the
extension. :func:`unique_names` then turns duplicates into ``a.pdf``, ``a (2).pdf``, ...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from agent.errors import UnsafeAttachmentNameError

MAX_NAME_BYTES = 255
_MAX_EXT_BYTES = 32
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_LOOKALIKES = str.maketrans(
    {
        "\u2215": "/",  # DIVISION SLASH
        "\u2044": "/",  # FRACTION SLASH
        "\u29f8": "/",  # BIG SOLIDUS
        "\u2571": "/",  # BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
        "\u1735": "/",  # PHILIPPINE SINGLE PUNCTUATION
        "\u2216": "\\",  # SET MINUS
        "\u29f5": "\\",  # REVERSE SOLIDUS OPERATOR
        "\u29f9": "\\",  # BIG REVERSE SOLIDUS
        "\u2572": "\\",  # BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
    }
)
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_DRIVE = re.compile(r"[A-Za-z]:")
_HINT = "the sender's software declared a dangerous file name; the attachment was not written."


def safe_attachment_name(declared: str) -> str:
    """Return the safe NFC name for ``declared`` or raise :class:`UnsafeAttachmentNameError`."""
    _refuse_controls(declared)
    name = unicodedata.normalize("NFC", declared)
    folded = fold(name)
    _refuse_paths(declared, name, folded)
    name = _WINDOWS_FORBIDDEN.sub("_", name.strip()).rstrip(" .")
    if not name:
        raise _unsafe(declared, "is empty or consists only of dots and spaces")
    _refuse_device(declared, fold(name))
    return truncate_name(name)


def fold(name: str) -> str:
    """The form used to *detect* separators and dots: NFKC plus the slash look-alike table."""
    return unicodedata.normalize("NFKC", name).translate(_LOOKALIKES)


def _refuse_controls(declared: str) -> None:
    for ch in declared:
        if ch in _BIDI:
            raise _unsafe(declared, f"contains the bidirectional control U+{ord(ch):04X}")
        if unicodedata.category(ch) == "Cc":
            what = "a NUL character" if ch == "\0" else f"the control character U+{ord(ch):04X}"
            raise _unsafe(declared, f"contains {what}")


def _refuse_paths(declared: str, name: str, folded: str) -> None:
    lookalike = _lookalike_note(name)
    if folded.startswith(("\\\\", "//")):
        raise _unsafe(declared, f"is a UNC network path{lookalike}")
    if folded.startswith(("/", "\\")) or _DRIVE.match(folded):
        raise _unsafe(declared, f"is an absolute path{lookalike}")
    components = re.split(r"[/\\]", folded)
    if any(_is_dot_dot(c) for c in components):
        raise _unsafe(declared, f"contains a '..' path-traversal component{lookalike}")
    if len(components) > 1:
        raise _unsafe(declared, f"contains a path separator{lookalike}")


def _is_dot_dot(component: str) -> bool:
    core = component.strip(" ")
    return core.count(".") >= 2 and not core.strip(". ")


def _refuse_device(declared: str, folded: str) -> None:
    stem = folded.split(".", 1)[0].rstrip(" ").upper()
    if stem in _DEVICES:
        raise _unsafe(declared, f"is the reserved Windows device name {stem}")


def _lookalike_note(name: str) -> str:
    for ch in name:
        if ch not in "/\\." and any(c in fold(ch) for c in "/\\."):
            return f" (written with the look-alike U+{ord(ch):04X} {unicodedata.name(ch, '?')})"
    return ""


def _unsafe(declared: str, what: str) -> UnsafeAttachmentNameError:
    shown = declared if len(declared) <= 80 else declared[:77] + "..."
    return UnsafeAttachmentNameError(f"the attachment name {shown!r} {what}", hint=_HINT)


def split_extension(name: str) -> tuple[str, str]:
    """``a.b.pdf`` → (``a.b``, ``.pdf``); a leading dot does not start an extension."""
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def truncate_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """Cut ``name`` to ``limit`` UTF-8 bytes, keeping a short extension and whole characters."""
    if len(name.encode()) <= limit:
        return name
    stem, ext = split_extension(name)
    if len(ext.encode()) > _MAX_EXT_BYTES:
        stem, ext = name, ""
    budget = limit - len(ext.encode())
    cut = stem.encode()[:budget].decode("utf-8", "ignore")
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]
    return (cut.rstrip(" .") or "_") + ext


def unique_names(names: Iterable[str]) -> list[str]:
    """Make names unique, ignoring case: ``a.pdf``, ``A.pdf`` → ``a.pdf``, ``A (2).pdf``."""
    used: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while _key(candidate) in used:
            n += 1
            stem, ext = split_extension(name)
            suffix = f" ({n}){ext}"
            candidate = truncate_name(stem, MAX_NAME_BYTES - len(suffix.encode())) + suffix
        used.add(_key(candidate))
        out.append(candidate)
    return out


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()
