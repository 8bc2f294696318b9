"""PDF signature benchmark: throughput on a 300 KB PDF, peak memory on big scans. Prints only.

    python bench/pdf_bench.py                  # everything (needs ~1.2 GB free in $TMPDIR)
    python bench/pdf_bench.py --sizes 1 100    # peak RSS only for 1 MB and 100 MB files
    python bench/pdf_bench.py --seconds 1      # shorter throughput runs

Peak RSS is measured in a fresh subprocess per file (``ru_maxrss`` of that process alone), next to
a baseline subprocess that imports the same modules and loads the key but signs nothing; the
difference is what signing (or verifying) the file costs. "verify 2 sigs" checks a file signed
twice: pyHanko's difference analysis for the earlier signature runs there.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.signing import devpki  # noqa: E402
from agent.signing.keys import SigningIdentity  # noqa: E402
from agent.signing.pdf import sign_pdf, verify_pdf  # noqa: E402
from agent.signing.trust import TrustPolicy  # noqa: E402
from tests.support import pdfs  # noqa: E402

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
MB = 1 << 20


def _pki(kind: devpki.KeyKind) -> tuple[SigningIdentity, TrustPolicy, devpki.Issued]:
    root = devpki.make_root(NOW - dt.timedelta(days=30))
    inter = devpki.make_intermediate(root, NOW - dt.timedelta(days=30))
    issued = devpki.make_signer(inter, NOW, kind=kind)
    identity = SigningIdentity(issued.key, issued.cert, issued.chain)
    return identity, TrustPolicy([root.cert]), issued


def _rate(action: object, seconds: float) -> tuple[float, int]:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 3:
        action()  # type: ignore[operator]
        count += 1
    return count / (time.perf_counter() - start), count


def throughput(seconds: float) -> None:
    source = pdfs.make_pdf(pages=3, image_bytes_per_page=100_000)
    print(f"throughput on a {len(source) / 1024:.0f} KB, 3-page PDF ({seconds:.0f} s per figure)")
    for kind, label in (("rsa", "RSA-2048"), ("ec", "EC P-256")):
        identity, policy, _ = _pki(kind)  # type: ignore[arg-type]

        def sign_once(identity: SigningIdentity = identity) -> bytes:
            out = io.BytesIO()
            sign_pdf(io.BytesIO(source), out, identity, now=NOW)
            return out.getvalue()

        signed = sign_once()
        rate, n = _rate(sign_once, seconds)
        print(f"  sign   {label:9} {rate:7.1f} signatures/s  ({n} runs)")

        def verify_once(signed: bytes = signed, policy: TrustPolicy = policy) -> None:
            [report] = verify_pdf(io.BytesIO(signed), policy, target="b.pdf", now=NOW)
            assert report.ok, report.error

        rate, n = _rate(verify_once, seconds)
        print(f"  verify {label:9} {rate:7.1f} verifications/s ({n} runs)")


# --- peak memory in child processes -----------------------------------------------------------


def child(mode: str, source: str, workdir: str) -> None:
    """Run in a fresh interpreter: do one thing, print peak RSS and wall time as JSON."""
    work = Path(workdir)
    identity = SigningIdentity.from_pem_files(
        work / "key.pem", work / "cert.pem", work / "chain.pem"
    )
    policy = TrustPolicy([identity.chain[-1]])
    start = time.perf_counter()
    if mode == "sign":
        with open(source, "rb") as src, open(source + ".signed.pdf", "w+b") as out:
            sign_pdf(src, out, identity, now=NOW)
    elif mode == "verify":
        with open(source, "rb") as src:
            reports = verify_pdf(src, policy, target="big.pdf", now=NOW)
            assert all(r.ok for r in reports), reports
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mb": peak_kb / 1024, "seconds": elapsed}))


def _run_child(mode: str, source: Path, work: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, str(source), str(work)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def peak_memory(sizes_mb: list[int]) -> None:
    print("peak RSS, fresh subprocess per run (file -> file, streams, not bytes)")
    with tempfile.TemporaryDirectory(prefix="pdfbench-") as tmp:
        work = Path(tmp)
        _, _, issued = _pki("rsa")
        (work / "key.pem").write_bytes(issued.key_pem())
        (work / "cert.pem").write_bytes(issued.cert_pem())
        (work / "chain.pem").write_bytes(issued.chain_pem())
        small = work / "tiny.pdf"
        small.write_bytes(pdfs.make_pdf())
        base = _run_child("baseline", small, work)["peak_mb"]
        print(f"  baseline (interpreter + imports + key, nothing signed): {base:6.1f} MB")
        for size in sizes_mb:
            source = work / f"scan-{size}mb.pdf"
            with open(source, "wb") as out:
                written = pdfs.make_pdf_of_size(out, size * MB)
            once = Path(f"{source}.signed.pdf")
            twice = Path(f"{once}.signed.pdf")
            runs = {
                "sign": _run_child("sign", source, work),
                "verify 1 sig": _run_child("verify", once, work),
                "sign again": _run_child("sign", once, work),
                "verify 2 sigs": _run_child("verify", twice, work),
            }
            print(f"  {written / MB:4.0f} MB scan ({max(1, size)} pages):")
            for label, run in runs.items():
                extra = run["peak_mb"] - base
                print(
                    f"    {label:13} peak {run['peak_mb']:7.1f} MB (+{extra:6.1f}) "
                    f"in {run['seconds']:5.1f} s"
                )
            for path in (source, once, twice):
                path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1, 100, 500])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "SOURCE", "WORKDIR"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    throughput(args.seconds)
    peak_memory(args.sizes)


if __name__ == "__main__":
    main()
