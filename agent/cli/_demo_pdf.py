"""A small, real, one-page PDF for the demo, written by hand (no PDF library needed to make it):
catalog, page tree, one page with a few lines of Helvetica text, a cross-reference table with
exact offsets. pyHanko signs it like any office PDF."""

from __future__ import annotations

from collections.abc import Sequence


def _escape(text: str) -> bytes:
    raw = text.encode("latin-1", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(lines: Sequence[str]) -> bytes:
    ops = [b"BT", b"/F1 13 Tf", b"16 TL", b"72 770 Td"]
    for line in lines:
        ops += [b"(" + _escape(line) + b") Tj", b"T*"]
    ops.append(b"ET")
    return b"\n".join(ops)


def sample_pdf(lines: Sequence[str]) -> bytes:
    """A one-page A4 PDF showing ``lines`` (ASCII is shown as is; other characters as '?')."""
    content = _content(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (Van ban mau - lienthong-agent demo) /Producer (lienthong-agent) >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, len(objects), xref))
    return bytes(out)
