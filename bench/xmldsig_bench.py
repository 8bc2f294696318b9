"""XML-signature benchmark: build + sign rate with a 300 KB PDF, peak memory on big packages.

    python bench/xmldsig_bench.py                       # everything (~2 GB free in $TMPDIR)
    python bench/xmldsig_bench.py --sizes 1 100 200     # peak RSS only for these attachments
    python bench/xmldsig_bench.py --seconds 1           # shorter throughput runs

Throughput: packages/s to build and XML-sign one edoc with a 300 KB PDF, in memory, two ways:
``build_signed_edoc`` (build twice: once through a pipe into the digester thread, once for real)
and "build, then sign_stream" (one build into a buffer, the signer re-reads it: what a temporary
file would cost, minus the disk). Verification rate alongside.

Peak RSS: a fresh subprocess per run prints its own ``ru_maxrss``, next to a baseline subprocess
that imports the same modules and loads the key but does nothing; packages are files, processed
file to file with streams. Prints only, asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.core.edxml import AttachmentSource, DiscardSink, build_edoc, parse_edoc  # noqa: E402
from agent.signing import devpki  # noqa: E402
from agent.signing.keys import SigningIdentity  # noqa: E402
from agent.signing.trust import TrustPolicy  # noqa: E402
from agent.signing.xmldsig import (  # noqa: E402
    build_signed_edoc,
    parse_and_verify,
    sign_file,
    sign_stream,
    verify_file,
    verify_stream,
)
from tests.support import pdfs  # noqa: E402
from tests.unit.edxml.examples import EDOC_NEW  # noqa: E402

NOW = dt.datetime(2024, 11, 5, 3, 0, tzinfo=dt.UTC)  # the example package's day (10:00 +07)
MB = 1 << 20


def _pki(kind: devpki.KeyKind) -> tuple[SigningIdentity, TrustPolicy, devpki.Issued]:
    root = devpki.make_root(NOW - dt.timedelta(days=30))
    inter = devpki.make_intermediate(root, NOW - dt.timedelta(days=30))
    issued = devpki.make_signer(inter, NOW, kind=kind)
    return SigningIdentity(issued.key, issued.cert, issued.chain), TrustPolicy([root.cert]), issued


def _header() -> tuple[object, object]:
    package = parse_edoc(io.BytesIO(EDOC_NEW))
    return package.header, package.trace_list


def _source(open_: Callable[[], object], name: str = "412-STTTT-VP.pdf") -> AttachmentSource:
    return AttachmentSource(
        content_id="3f6d2a8e-7c41-4b0e-9d2f-5a1c8e0b7d34", name=name,
        content_type="application/pdf", open=open_,  # type: ignore[arg-type]
        description="Công văn số 412/STTTT-VP",
    )


def _rate(action: Callable[[], object], seconds: float) -> tuple[float, int]:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 3:
        action()
        count += 1
    return count / (time.perf_counter() - start), count


def throughput(seconds: float) -> None:
    pdf = pdfs.make_pdf(pages=3, image_bytes_per_page=100_000)
    header, trace = _header()
    source = _source(lambda: io.BytesIO(pdf))
    print(f"throughput, one {len(pdf) / 1024:.0f} KB PDF per package ({seconds:.0f} s per figure)")
    for kind, label in (("rsa", "RSA-2048"), ("ec", "EC P-256")):
        identity, policy, _ = _pki(kind)  # type: ignore[arg-type]

        def built_twice(identity: SigningIdentity = identity) -> bytes:
            out = io.BytesIO()
            build_signed_edoc(out, header, trace, [source], identity)  # type: ignore[arg-type]
            return out.getvalue()

        def built_then_signed(identity: SigningIdentity = identity) -> bytes:
            plain, out = io.BytesIO(), io.BytesIO()
            build_edoc(plain, header, trace, [source])  # type: ignore[arg-type]
            plain.seek(0)
            sign_stream(plain, out, identity)
            return out.getvalue()

        def unsigned_only() -> None:
            build_edoc(io.BytesIO(), header, trace, [source])  # type: ignore[arg-type]

        signed = built_twice()
        for name, action in (
            ("build unsigned (reference)", unsigned_only),
            ("build+sign, build twice/pipe", built_twice),
            ("build, then sign_stream", built_then_signed),
        ):
            rate, n = _rate(action, seconds)
            print(f"  {label:9} {name:29} {rate:7.1f} packages/s ({n} runs)")

        def verify_once(signed: bytes = signed, policy: TrustPolicy = policy) -> None:
            report = verify_stream(io.BytesIO(signed), policy, NOW)
            assert report.ok, report.error

        rate, n = _rate(verify_once, seconds)
        print(f"  {label:9} {'verify':29} {rate:7.1f} packages/s ({n} runs)")


# --- peak memory in child processes -----------------------------------------------------------


def child(mode: str, source: str, workdir: str) -> None:
    """Run in a fresh interpreter: do one thing, print peak RSS and wall time as JSON."""
    work = Path(workdir)
    identity = SigningIdentity.from_pem_files(
        work / "key.pem", work / "cert.pem", work / "chain.pem"
    )
    policy = TrustPolicy([identity.chain[-1]])
    header, trace = _header()
    start = time.perf_counter()
    if mode == "build+sign":
        with open(source + ".edxml", "wb") as out:
            attachment = _source(lambda: open(source, "rb"))  # noqa: SIM115 - the builder closes it
            build_signed_edoc(out, header, trace, [attachment], identity)  # type: ignore[arg-type]
    elif mode == "sign":
        sign_file(source, source + ".signed", identity)
    elif mode == "verify":
        report = verify_file(source, policy, NOW)
        assert report.ok, report.error
    elif mode == "parse+verify":
        with open(source, "rb") as stream:
            _, report = parse_and_verify(stream, policy, NOW, DiscardSink())
        assert report.ok, report.error
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mb": peak_kb / 1024, "seconds": elapsed}))


def _run_child(mode: str, source: Path, work: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, str(source), str(work)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _write_unsigned(pdf: Path, out: Path) -> None:
    header, trace = _header()
    with open(out, "wb") as stream:
        attachment = _source(lambda: open(pdf, "rb"))  # noqa: SIM115 - the builder closes it
        build_edoc(stream, header, trace, [attachment])  # type: ignore[arg-type]


def peak_memory(sizes_mb: list[int]) -> None:
    print("peak RSS, fresh subprocess per run (file -> file, streams)")
    with tempfile.TemporaryDirectory(prefix="xmldsigbench-") as tmp:
        work = Path(tmp)
        _, _, issued = _pki("rsa")
        (work / "key.pem").write_bytes(issued.key_pem())
        (work / "cert.pem").write_bytes(issued.cert_pem())
        (work / "chain.pem").write_bytes(issued.chain_pem())
        base = _run_child("baseline", work / "none", work)["peak_mb"]
        print(f"  baseline (interpreter + imports + key, nothing done): {base:6.1f} MB")
        for size in sizes_mb:
            _measure_size(work, size, base)


def _measure_size(work: Path, size: int, base: float) -> None:
    pdf = work / f"scan-{size}mb.pdf"
    with open(pdf, "wb") as out:
        written = pdfs.make_pdf_of_size(out, size * MB)
    package = work / f"package-{size}mb.edxml"
    _write_unsigned(pdf, package)
    signed = Path(f"{package}.signed")
    runs = {
        "build+sign": _run_child("build+sign", pdf, work),
        "sign file": _run_child("sign", package, work),
        "verify": _run_child("verify", signed, work),
        "parse+verify": _run_child("parse+verify", signed, work),
    }
    print(f"  {written / MB:4.0f} MB PDF, package {package.stat().st_size / MB:5.0f} MB:")
    for label, run in runs.items():
        rate = package.stat().st_size / MB / max(run["seconds"], 1e-9)
        print(
            f"    {label:12} peak {run['peak_mb']:6.1f} MB (+{run['peak_mb'] - base:5.1f}) "
            f"in {run['seconds']:6.2f} s ({rate:5.0f} MB/s of package)"
        )
    for path in (pdf, package, signed, Path(f"{pdf}.edxml")):
        path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1, 100, 200, 500])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "SOURCE", "WORKDIR"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    throughput(args.seconds)
    peak_memory(args.sizes)


if __name__ == "__main__":
    main()
