"""The one-pass XML-signature observer: reads the events the edXML parser reads.

:class:`SignatureObserver` is an :class:`~agent.core.xmlstream.XmlEvents` consumer. Put it beside
the edXML parser (``observers=[...]``) or alone behind :func:`~agent.core.xmlstream.read_events`;
either way it sees the very bytes the business data comes from. It never raises for a bad
signature: it records :class:`SignatureFacts` that :mod:`agent.signing.xmldsig_verify` judges.

While reading it

* counts every ``Signature`` element (XMLDSig or QCVN namespace) and notes where it is: only
  ``edXML/edXMLEnvelope/edXMLHeader/Signature`` is acceptable;
* reads that Signature's structure (SignedInfo, one Reference, transforms, algorithms,
  SignatureValue, KeyInfo) and records SignedInfo's events with the namespace context in scope,
  so SignedInfo can be canonicalized once its ``CanonicalizationMethod`` is known;
* digests the document minus that Signature (the enveloped-signature transform). The transforms
  and digest method are only known once SignedInfo has been read, which happens in the header,
  after the document has started; until then the observer runs both canonicalizations into
  SHA-256/384/512 and keeps only the pipeline the Reference names (the header is a few KB).
  An unsigned package stops all digesting when its header ends;
* notes comments inside values (an element holding both text and a comment), the sender's
  ``From/OrganId`` and the ``TraceHeader`` list (signing time, the axis's marks, AXIS.md §9).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from agent.core.c14n import Attrs, Canonicalizer, ExcludeSubtree, NsDecls, NsMap, SelectSubtree
from agent.core.xmlstream import QName, XmlEvents
from agent.errors import VerificationError
from agent.signing.xmldsig_alg import DIGESTS, QCVN_NS
from agent.signing.xmldsig_facts import (
    MAX_VALUE_CHARS,
    SignatureFacts,
    SignedInfoRecord,
    TraceFacts,
    is_header_signature,
    is_header_signed_info,
    is_signature,
)
from agent.signing.xmldsig_structure import SignatureReader, reference_pipeline

_HEADER = ("edXML", "edXMLEnvelope", "edXMLHeader")
_FROM_ORGAN_ID = (*_HEADER, "MessageHeader", "From", "OrganId")
_TRACE = (*_HEADER, "TraceHeaderList", "TraceHeader")
_TRACE_FIELDS = {(*_TRACE, "OrganId"): "organ_id", (*_TRACE, "Timestamp"): "timestamp"}


class SignatureObserver:
    """Watch a package's events; :meth:`result` gives the :class:`SignatureFacts`."""

    def __init__(self) -> None:
        self.facts = SignatureFacts()
        self._path: list[QName] = []
        self._digests = _Digests()
        self._select = SelectSubtree(self._record_signed_info, is_header_signed_info)
        self._reader: SignatureReader | None = None  # inside the header Signature
        self._values: list[list[bool]] = []  # per open element: [has text, has comment]
        self._capture: tuple[int, Callable[[str], None], list[str]] | None = None

    def result(self) -> SignatureFacts:
        """The facts; call once the document has been read to its end."""
        self.facts.digest = self._digests.result()
        return self.facts

    # --- events -------------------------------------------------------------------------------

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        for f in self._digests.filters:
            f.start(name, attrs, nsdecls)
        self._select.start(name, attrs, nsdecls)
        self._path.append(name)
        self._values.append([False, False])
        if is_signature(name):
            self._signature(name)
        elif self._reader is not None:
            self._reader.start(name, attrs)
        elif len(self._path) in (5, 6):
            self._header_field()

    def end(self, name: QName) -> None:
        for f in self._digests.filters:
            f.end(name)
        self._select.end(name)
        self._end_value()
        depth = len(self._path)
        if self._capture is not None and self._capture[0] == depth:
            self._capture[1]("".join(self._capture[2]))
            self._capture = None
        if self._reader is not None:
            self._end_in_signature(depth)
        elif depth == 3 and self._locals() == _HEADER:
            self._digests.stop_unless_narrowed()
        self._path.pop()

    def text(self, data: str) -> None:
        for f in self._digests.filters:
            f.text(data)
        self._select.text(data)
        if self._values and not self._values[-1][0] and data.strip():
            self._values[-1][0] = True
        if self._reader is not None:
            self._reader.text(data)
        elif self._capture is not None and sum(map(len, self._capture[2])) < MAX_VALUE_CHARS:
            self._capture[2].append(data)

    def comment(self, data: str) -> None:
        if self._values and not self._in_unsigned_part():
            self._values[-1][1] = True

    def pi(self, target: str, data: str) -> None:
        for f in self._digests.filters:
            f.pi(target, data)
        self._select.pi(target, data)

    # --- helpers ------------------------------------------------------------------------------

    def _locals(self) -> tuple[str, ...]:
        if any(q.ns != QCVN_NS for q in self._path):
            return ()
        return tuple(q.local for q in self._path)

    def _signature(self, name: QName) -> None:
        self.facts.signatures += 1
        if is_header_signature(self._path) and self.facts.signature_ns is None:
            self.facts.signature_ns = name.ns
            self._reader = SignatureReader(self.facts)
            return
        self.facts.misplaced.append("/".join(q.local for q in self._path))
        if self._reader is not None:
            self._reader.start(name, ())

    def _end_in_signature(self, depth: int) -> None:
        assert self._reader is not None
        if depth == 4:
            self._reader = None
            return
        if depth == 5 and self._reader.in_signed_info:
            self._choose_digest()
        self._reader.end()

    def _choose_digest(self) -> None:
        """SignedInfo has ended: keep the digest pipeline its one Reference names."""
        refs = self.facts.references
        if len(refs) != 1 or self.facts.signed_info_count != 1:
            self._digests.stop()
            return
        try:
            exclusive, hash_name = reference_pipeline(refs[0])
        except VerificationError:
            self._digests.stop()  # judged later from the same facts
            return
        self._digests.narrow(exclusive, hash_name)

    def _header_field(self) -> None:
        names = self._locals()
        if names == _FROM_ORGAN_ID:
            self._capture_text(lambda v: setattr(self.facts, "from_organ_id", v))
        elif names == _TRACE:
            self.facts.traces.append(TraceFacts())
        elif names in _TRACE_FIELDS and self.facts.traces:
            trace, field_name = self.facts.traces[-1], _TRACE_FIELDS[names]
            self._capture_text(lambda v: setattr(trace, field_name, v))

    def _capture_text(self, store: Callable[[str], None]) -> None:
        self._capture = (len(self._path), store, [])

    def _end_value(self) -> None:
        has_text, has_comment = self._values.pop()
        if has_text and has_comment and self.facts.comment_in is None:
            self.facts.comment_in = "/".join(q.local for q in self._path)

    def _in_unsigned_part(self) -> bool:
        """Inside the header Signature but outside its SignedInfo (not covered by anything)."""
        return self._reader is not None and not self._reader.in_signed_info

    def _record_signed_info(self, context: NsMap, xml_attrs: Attrs) -> XmlEvents:
        record = SignedInfoRecord(context, xml_attrs)
        self.facts.signed_info = record
        return record


_HASH_NAMES = tuple(d.name for d in DIGESTS.values())


class _Digests:
    """Canonical form of the document minus the header Signature, into candidate hashes."""

    def __init__(self) -> None:
        self._sinks: dict[bool, list[hashlib._Hash]] = {}
        self._names: dict[bool, list[str]] = {}
        self._filters: dict[bool, ExcludeSubtree] = {}
        for exclusive in (True, False):
            hashes = [hashlib.new(name) for name in _HASH_NAMES]
            self._sinks[exclusive], self._names[exclusive] = hashes, list(_HASH_NAMES)
            canon = Canonicalizer(_fan_out(hashes), exclusive=exclusive)
            self._filters[exclusive] = ExcludeSubtree(canon, is_header_signature)

    @property
    def filters(self) -> list[ExcludeSubtree]:
        return list(self._filters.values())

    def narrow(self, exclusive: bool, name: str) -> None:
        """Keep only the pipeline the Reference names."""
        index = self._names[exclusive].index(name)
        kept = self._sinks[exclusive][index]
        self._sinks[exclusive][:] = [kept]
        self._names[exclusive][:] = [name]
        self._filters = {exclusive: self._filters[exclusive]}

    def stop(self) -> None:
        self._filters = {}

    def stop_unless_narrowed(self) -> None:
        """The header ended: without a chosen pipeline there is nothing to verify."""
        if len(self._filters) != 1:
            self.stop()

    def result(self) -> tuple[bool, str, bytes] | None:
        if len(self._filters) != 1:
            return None
        ((exclusive, _),) = self._filters.items()
        if len(self._sinks[exclusive]) != 1:
            return None
        return exclusive, self._names[exclusive][0], self._sinks[exclusive][0].digest()


def _fan_out(hashes: list[hashlib._Hash]) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        for h in hashes:
            h.update(data)

    return write
