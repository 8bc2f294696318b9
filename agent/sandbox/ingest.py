"""``sendEdoc`` after the body is on disk: check, route, apply the transit mode, record.

Steps (each refusal names its :class:`~agent.sandbox.codes.Failure`):

1. ``hash-file``, when sent and checking is on, must match (``invalid_file``);
2. the file must be safe, well-formed edXML with a readable header (``edxml_format``), of the kind
   ``messagetype`` says, passing the configured validation level;
3. ``from`` (or, without it, ``From/OrganId``) must be allowed for the calling system
   (``sender_unregistered``); each recipient must be registered (``recipient_unknown``) and not
   locked (``recipient_locked``). A recipient may also be a system id itself (SaaS accounts);
4. the bytes to deliver are written under ``packages/`` (rebuilt or preserved, see
   :mod:`agent.sandbox.packages`) and the package with one item per recipient is committed in one
   transaction. Only then is the ``DocId`` returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agent.errors import ProtocolError
from agent.sandbox.clock import Clock, new_doc_id
from agent.sandbox.codes import Failure, Refusal
from agent.sandbox.config import SandboxConfig, SenderRule
from agent.sandbox.directory import Directory
from agent.sandbox.envelope import EnvelopeSpan, locate, scan_stream
from agent.sandbox.facts import PackageFacts, read_facts
from agent.sandbox.mailbox import Mailbox, NewPackage
from agent.sandbox.packages import Location, PackageFiles
from agent.sandbox.spool import SpooledBody
from agent.sandbox.transit import TransitMode, rebuild_head
from agent.sandbox.validation import validate_facts


@dataclass(frozen=True, slots=True)
class SendRequest:
    caller: str  # the verified system id
    params: Mapping[str, str]  # signed parameters, case-insensitive
    body: SpooledBody


class Ingest:
    def __init__(
        self, config: SandboxConfig, directory: Directory, mailbox: Mailbox, clock: Clock
    ) -> None:
        self.config = config
        self.directory = directory
        self.mailbox = mailbox
        self.clock = clock
        self.files = PackageFiles(config.data_dir, durable=config.durable)

    def accept(self, request: SendRequest) -> str:
        """Run every step; return the new ``DocId``. A spilled body file is consumed either way."""
        try:
            return self._accept(request)
        finally:
            request.body.discard()

    def _accept(self, request: SendRequest) -> str:
        body, params = request.body, request.params
        claimed = params.get("hash-file")
        if self.config.check_hash_file and claimed and not body.hash_matches(claimed):
            raise Refusal(Failure.INVALID_FILE, "hash-file does not match the package bytes")
        span, head, facts = self._read(body, params.get("messagetype"))
        sender = self._check_sender(request.caller, params.get("from") or facts.sender)
        recipients = self._check_recipients(facts)
        doc_id = new_doc_id()
        where = self._store(body, span, head, facts, doc_id)
        preserved = self.config.transit is TransitMode.PRESERVE
        self.mailbox.accept(NewPackage(
            doc_id=doc_id, system_id=request.caller, from_code=sender,
            message_type=facts.message_type, service_type=params.get("servicetype") or "eDoc",
            document_id=facts.document_id, notation=facts.notation, title=facts.title,
            size=body.size, sha256=body.sha256,
            delivered_sha256=body.sha256 if preserved else "",  # else hashed at first delivery
            path=where.path, offset=where.offset, length=where.length, recipients=recipients,
        ))
        return doc_id

    def _read(
        self, body: SpooledBody, message_type: str | None
    ) -> tuple[EnvelopeSpan, bytes, PackageFacts]:
        try:
            if body.data is not None:
                span = locate(body.data)
                head = span.head_of(body.data)
            else:
                with body.open() as fh:
                    span = scan_stream(fh)
                    head = span.head(fh)
            facts = read_facts(head)
            validate_facts(facts, self.config.validation)
        except ProtocolError as exc:
            raise Refusal(Failure.EDXML_FORMAT, exc.message) from exc
        wanted = (message_type or facts.message_type).lower()
        if wanted not in ("edoc", "status"):
            raise Refusal(Failure.BAD_PARAMETER, f"messagetype {message_type!r} (edoc or status)")
        if wanted != facts.message_type:
            raise Refusal(
                Failure.EDXML_FORMAT,
                f"messagetype={wanted} but the package is a {facts.message_type} package",
            )
        return span, head, facts

    def _check_sender(self, caller: str, sender: str) -> str:
        rule = self.config.sender_rule
        if rule is SenderRule.ANY or sender == caller:
            return sender
        organ = self.directory.organ(sender)
        if rule is SenderRule.REGISTERED and organ and not organ.deleted:
            if organ.system_id == caller:
                return sender
        detail = f"Don vi gui {sender} khong dung voi ma da dang ky: {caller}"
        raise Refusal(Failure.SENDER_UNREGISTERED, detail)

    def _check_recipients(self, facts: PackageFacts) -> tuple[str, ...]:
        for code in facts.recipients:
            if self.directory.is_system(code):
                continue
            organ = self.directory.organ(code)
            if organ is None or organ.deleted:
                raise Refusal(Failure.RECIPIENT_UNKNOWN, code)
            if organ.locked:
                raise Refusal(Failure.RECIPIENT_LOCKED, code)
        return facts.recipients

    def _store(
        self, body: SpooledBody, span: EnvelopeSpan, head: bytes, facts: PackageFacts, doc_id: str
    ) -> Location:
        """Write the bytes the recipients will get (rebuilt or as sent); say where they are."""
        try:
            if self.config.transit is TransitMode.PRESERVE:
                if body.data is not None:
                    return self.files.append([body.data])
                assert body.path is not None
                return self.files.place(body.path, f"{doc_id}.edxml")
            new_head = rebuild_head(head, edoc=not facts.is_status, now=self.clock.now(),
                                    trace_organ_id=self.config.trace_organ_id)
            if body.data is not None:
                return self.files.append([new_head, memoryview(body.data)[span.envelope_end:]])
            with body.open() as source:
                tmp = self.files.write_file(doc_id, new_head, source, span.envelope_end)
            return self.files.place(tmp, f"{doc_id}.edxml")
        except ProtocolError as exc:
            raise Refusal(Failure.EDXML_FORMAT, exc.message) from exc
        except OSError as exc:
            raise Refusal(Failure.FILE_PROCESSING, exc.strerror or "") from exc
