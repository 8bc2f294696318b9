"""Coverage-guided fuzzing of the edXML parser and what runs on its output (atheris/libFuzzer).

Each input is parsed as a package (small limits, tiny read blocks so base64 quanta and UTF-8
sequences split across reads). When it parses: strict validation, the dict form, the name policy
and the one-entry ZIP rule on every attachment, and a differential check: building the parsed
header again and parsing that gives the same header. Any exception that is not an
``agent.errors.LienthongError`` is a finding (libFuzzer reports it and exits non-zero).

    python tests/fuzz/fuzz_edxml_parser.py --write-seeds CORPUS/     # seed corpus
    python tests/fuzz/fuzz_edxml_parser.py -max_total_time=60 CORPUS/

``tests/integration/test_edxml_fuzz.py`` runs it for ``LIENTHONG_FUZZ_SECONDS`` (default 60).
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

with atheris.instrument_imports(include=["agent"]):
    from agent.core.edxml import (
        EdocPackage,
        MemorySink,
        ParseLimits,
        StatusPackage,
        ValidationLevel,
        ZipLimits,
        build_edoc,
        build_status,
        parse_package,
        safe_attachment_name,
        to_plain,
        unwrap_attachment,
        validate,
    )
    from agent.core.xmlstream import XmlLimits
    from agent.errors import LienthongError

LIMITS = ParseLimits(
    xml=XmlLimits(max_bytes=1 << 20, max_depth=32, chunk_size=97),
    max_attachments=8,
    max_attachment_bytes=256 << 10,
    max_total_attachment_bytes=512 << 10,
    max_elements=5_000,
    max_text_chars=256 << 10,
)
ZIP_LIMITS = ZipLimits(max_entries=16, max_output_bytes=1 << 20, chunk_size=4096)
SELFTEST_TRIGGER = b"LIENTHONG-FUZZ-SELFTEST"


def _rebuilt_header(package: EdocPackage | StatusPackage) -> object:
    out = io.BytesIO()
    if isinstance(package, StatusPackage):
        build_status(out, package.header)
    else:
        build_edoc(out, package.header, package.trace_list)
    again = parse_package(io.BytesIO(out.getvalue()))
    return again.header


def _attachments(package: EdocPackage, sink: MemorySink) -> None:
    for info in package.attachments:
        declared = info.attachment_name or ""
        try:
            safe_attachment_name(declared)
            unwrap_attachment(io.BytesIO(sink.payloads[info.index]), declared, io.BytesIO(),
                              ZIP_LIMITS)
        except LienthongError:
            pass


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris expects
    if os.environ.get("LIENTHONG_FUZZ_SELFTEST") == "1" and SELFTEST_TRIGGER in data:
        raise RuntimeError("self-test: the harness reports non-LienthongError exceptions")
    try:
        safe_attachment_name(data[:300].decode("utf-8", "replace"))
    except LienthongError:
        pass
    sink = MemorySink()
    try:
        package = parse_package(io.BytesIO(data), sink, limits=LIMITS)
    except LienthongError:
        return
    validate(package, ValidationLevel.STRICT)
    to_plain(package)
    if isinstance(package, EdocPackage):
        _attachments(package, sink)
    rebuilt = _rebuilt_header(package)
    if rebuilt != package.header:
        raise AssertionError(f"build(parse(x)) changed the header:\n{package.header}\n{rebuilt}")


def seeds() -> dict[str, bytes]:
    """The example packages plus built ones exercising attachments, ZIP, signatures, status."""
    from tests.unit.edxml.examples import ALL
    from tests.unit.edxml.helpers import edoc_bytes, pdf_source, status_bytes

    wrapped = io.BytesIO()
    with zipfile.ZipFile(wrapped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3f6d.pdf", b"%PDF-1.4 " * 50)
    signature = b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><X/></Signature>'
    out = dict(ALL)
    out["two-attachments.edxml"] = edoc_bytes(attachments=[
        pdf_source(), pdf_source(wrapped.getvalue(), "cid:z", "phu luc.zip")])[0]
    out["signed.edxml"] = edoc_bytes(signature=signature)[0]
    out["status-signed.edxml"] = status_bytes(signature=b"<Signature/>")
    out["wrapped.zip"] = wrapped.getvalue()
    return out


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seeds":
        folder = Path(sys.argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds().items():
            (folder / name).write_bytes(data)
        return
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
