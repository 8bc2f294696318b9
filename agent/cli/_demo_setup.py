"""The demo's workspace: a development PKI, two agencies (configuration, secret, folders), the
sandbox's registry and the sample document. Everything lives under one directory::

    <dir>/
        keys/                 development root CA, each organ's .p12, the key password
        axis/                 the embedded sandbox's data
        agency-a/             Sở Thông tin và Truyền thông (000.00.13.H53), the sender
            agent.yaml  axis-secret  agent.log  state/journal.sqlite3  exchange/<organ>/...
        agency-b/             UBND huyện Bến Cầu (000.00.31.H53), the recipient
        sample/412-STTTT-VP/  the document A's DMS drops: metadata.yaml + 412-STTTT-VP.pdf
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from agent.cli._demo_pdf import sample_pdf

ITEM = "412-STTTT-VP"
SUBJECT = "V/v đôn đốc kết nối phần mềm quản lý văn bản với Trục liên thông văn bản quốc gia"


@dataclass(frozen=True)
class Agency:
    """One agency of the demo: its organ, its system on the axis, and its folder."""

    label: str  # "A" or "B"
    organ: str
    name: str
    system_id: str
    secret: str
    home: Path

    @property
    def config(self) -> Path:
        return self.home / "agent.yaml"

    @property
    def journal(self) -> Path:
        return self.home / "state" / "journal.sqlite3"

    @property
    def log(self) -> Path:
        return self.home / "agent.log"

    @property
    def folders(self) -> Path:
        """This organ's exchange folders (per-organ layout)."""
        return self.home / "exchange" / self.organ


@dataclass(frozen=True)
class Workspace:
    root: Path
    sender: Agency
    recipient: Agency
    keys: Path
    sample: Path

    @property
    def agencies(self) -> tuple[Agency, Agency]:
        return self.sender, self.recipient


def agencies(root: Path) -> tuple[Agency, Agency]:
    """The two agencies, with fresh random secrets (never printed)."""
    return (
        Agency("A", "000.00.13.H53", "Sở Thông tin và Truyền thông tỉnh Tây Ninh", "demo.stttt",
               secrets.token_urlsafe(24), root / "agency-a"),
        Agency("B", "000.00.31.H53", "UBND huyện Bến Cầu", "demo.bencau",
               secrets.token_urlsafe(24), root / "agency-b"),
    )


def make_keys(keys: Path, pair: tuple[Agency, Agency], now: dt.datetime) -> Path:
    """A development root CA and each organ's PKCS#12 (``keys generate``); the password file."""
    from agent.cli.keys import generate

    password = keys / "key-password"
    keys.mkdir(parents=True)
    password.write_text(secrets.token_urlsafe(18) + "\n", encoding="utf-8")
    password.chmod(0o600)
    secret = password.read_bytes().strip()
    for agency in pair:
        generate(keys, agency.organ, secret, name=agency.name, now=now)
    return password


def write_agency(agency: Agency, axis_url: str, keys: Path, password: Path) -> None:
    """The agency's secret file, folders and configuration (short intervals for a demo)."""
    (agency.home / "state").mkdir(parents=True)
    (agency.home / "exchange").mkdir()
    secret = agency.home / "axis-secret"
    secret.write_text(agency.secret + "\n", encoding="utf-8")
    secret.chmod(0o600)
    agency.config.write_text(_config_text(agency, axis_url, keys, password), encoding="utf-8")


def _config_text(agency: Agency, axis_url: str, keys: Path, password: Path) -> str:
    return f"""\
# lienthong-agent demo: agency {agency.label}, {agency.name}. Development keys, local sandbox.
axis:
  base_url: {axis_url}
  system_id: {agency.system_id}
  secret_file: axis-secret
organs:
  - code: {agency.organ}
    name: {agency.name}
exchange:
  root: exchange
pickup:
  rescan_interval_seconds: 1
polling:
  edoc_interval_seconds: 0.5
  status_interval_seconds: 0.5
  sent_status_interval_seconds: 2
  jitter_seconds: 0.1
signing:
  key_file: {keys / (agency.organ + ".p12")}
  key_password_file: {password}
verification:
  trust_anchors: [{keys / "dev-root-ca.pem"}]
retry:
  backoff_base_seconds: 0.5
  backoff_cap_seconds: 2
journal:
  path: state/journal.sqlite3
logging:
  format: json
metrics:
  enabled: false
health:
  watchdog: false
shutdown:
  deadline_seconds: 5
"""


def write_sample(sample: Path, sender: Agency, recipient: Agency, today: dt.date) -> None:
    """The document folder A's DMS drops: metadata.yaml and a one-page PDF."""
    sample.mkdir(parents=True)
    (sample / f"{ITEM}.pdf").write_bytes(sample_pdf([
        "UBND TINH TAY NINH - SO THONG TIN VA TRUYEN THONG",
        "So: 412/STTTT-VP",
        "V/v don doc ket noi phan mem quan ly van ban voi Truc lien thong van ban quoc gia",
        "",
        "Van ban mau cua lienthong-agent demo (khoa phat trien, khong co gia tri phap ly).",
    ]))
    (sample / "metadata.yaml").write_text(f"""\
from: {sender.organ}
to:
  - {recipient.organ}
number: "412"
notation: STTTT-VP
subject: {SUBJECT}
document_type:
  name: Công văn
promulgation:
  place: Tây Ninh
  date: {today.isoformat()}
signer:
  competence: KT. GIÁM ĐỐC
  position: Phó Giám đốc
  full_name: Nguyễn Văn A
staff:
  name: Trần Thị B
  department: Văn phòng Sở
attachments:
  - file: {ITEM}.pdf
    description: Công văn số 412/STTTT-VP
    content_type: application/pdf
""", encoding="utf-8")


def prepare(pair: tuple[Agency, Agency], axis_url: str, now: dt.datetime) -> Workspace:
    """Write the whole workspace (the sandbox must already listen on ``axis_url``)."""
    root = pair[0].home.parent
    keys = root / "keys"
    password = make_keys(keys, pair, now)
    for agency in pair:
        write_agency(agency, axis_url, keys, password)
    sample = root / "sample" / ITEM
    write_sample(sample, pair[0], pair[1], now.date())
    return Workspace(root, pair[0], pair[1], keys, sample)
