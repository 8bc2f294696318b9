"""MemoryDenyWriteExecute=yes in the unit works with our Python stack.

The kernel's PR_SET_MDWE (Linux 6.3+) refuses writable+executable memory the way the unit's
seccomp filter does. A child process turns it on, then runs what the agent runs: config, logs,
metrics over HTTP, lxml, cryptography keys, a pyHanko PDF signature and its validation, SQLite WAL
and inotify. Any JIT or libffi closure needing W+X memory would crash or raise here.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

PROBE = r'''
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:          # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    print("PR_SET_MDWE unsupported"); sys.exit(77)
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print("W+X mapping still allowed"); sys.exit(78)
except OSError:
    pass

import datetime as dt, io, json, sqlite3, ssl, tempfile, time, pathlib, urllib.request
from agent.cli import build_parser
from agent.config import generate_example, load_config_text
from agent.observability import Health, Metrics, ObservabilityServer, configure_logging, get_logger
from agent.signing import devpki

build_parser()
load_config_text(generate_example(), environ={})
configure_logging("json", "info", stream=io.StringIO(), environ={})
get_logger("probe").info("hello", password="x")

metrics, health = Metrics(), Health()
server = ObservabilityServer(metrics, health).start()
host, port = server.address
assert b"lienthong_build_info" in urllib.request.urlopen(f"http://{host}:{port}/metrics").read()
server.stop()

from lxml import etree
root = etree.fromstring(b"<a xmlns='urn:x'><b>1</b></a>")
assert root.xpath("//x:b/text()", namespaces={"x": "urn:x"}) == ["1"]
etree.tostring(root, method="c14n", exclusive=True)

now = dt.datetime.now(dt.timezone.utc)
ca = devpki.make_root(now)
org = devpki.make_signer(ca, now)
tmp = pathlib.Path(tempfile.mkdtemp())
(tmp / "org.p12").write_bytes(org.pkcs12(b"pw"))
ssl.create_default_context().load_verify_locations(cadata=ca.cert_pem().decode())

def minimal_pdf():
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out)); out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)

from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator import ValidationContext
signer = signers.SimpleSigner.load_pkcs12(str(tmp / "org.p12"), passphrase=b"pw")
signed = io.BytesIO()
signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(minimal_pdf())),
                 signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer, output=signed)
(tmp / "ca.pem").write_bytes(ca.cert_pem())
vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(tmp / "ca.pem"))])
status = validate_pdf_signature(PdfFileReader(signed).embedded_signatures[0], vc)
assert status.bottom_line, status.pretty_print_details()

db = sqlite3.connect(tmp / "j.sqlite3")
db.execute("PRAGMA journal_mode=WAL"); db.execute("create table t(x)"); db.commit(); db.close()

from watchdog.observers import Observer
from watchdog.events import FileSystemEventHandler
seen = []
class H(FileSystemEventHandler):
    def on_any_event(self, event): seen.append(event)
obs = Observer(); obs.schedule(H(), str(tmp)); obs.start()
(tmp / "drop").write_bytes(b"x")
for _ in range(50):
    if seen: break
    time.sleep(0.05)
obs.stop(); obs.join()
assert seen, "no inotify event"
print("ok")
'''


def test_agent_stack_runs_without_writable_executable_memory() -> None:
    """Under PR_SET_MDWE the whole stack works, so MemoryDenyWriteExecute=yes is safe."""
    if platform.system() != "Linux":
        pytest.skip("PR_SET_MDWE is Linux-only")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env,
    )
    if result.returncode == 77:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux < 6.3)")
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr[-3000:]
