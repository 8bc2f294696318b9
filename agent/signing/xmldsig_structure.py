"""Reading the header ``Signature`` element's structure, and the rules for its Reference.

:class:`SignatureReader` receives the events inside the one acceptable ``Signature`` and fills
:class:`~agent.signing.xmldsig_facts.SignatureFacts`. Problems become errors in
``facts.problems`` (first one wins when judged); nothing is raised while reading.

Accepted shape (XMLDSig core, enveloped, AXIS.md §3.5)::

    Signature
      SignedInfo             exactly one
        CanonicalizationMethod   [InclusiveNamespaces PrefixList]
        SignatureMethod
        Reference URI=""     exactly one; another URI or a second Reference is wrapping
          Transforms/Transform*  enveloped-signature, then optionally exc-c14n or c14n
          DigestMethod
          DigestValue
      SignatureValue         exactly one
      KeyInfo                optional; X509Data/X509Certificate*; KeyValue is ignored
      (no Object: content inside the signature is where wrapping attacks hide)

Children are read in the XMLDSig or QCVN namespace alike: the axis moves the whole element into
the QCVN namespace (AXIS.md §9).
"""

from __future__ import annotations

from collections.abc import Callable

from agent.core.c14n import Attrs, parse_prefix_list
from agent.core.xmlstream import QName
from agent.errors import SignatureStructureError, SignatureWrappingError, VerificationError
from agent.signing.xmldsig_alg import C14N, ENVELOPED, EXC_C14N, EXC_C14N_NS, digest_alg
from agent.signing.xmldsig_facts import (
    MAX_VALUE_CHARS,
    SIGNATURE_NAMESPACES,
    ReferenceFacts,
    SignatureFacts,
)

Rel = tuple[str, ...]
_SI = ("SignedInfo",)
_REF = (*_SI, "Reference")
_TRANSFORM = (*_REF, "Transforms", "Transform")
_CAPTURED: dict[Rel, str] = {
    (*_REF, "DigestValue"): "digest",
    ("SignatureValue",): "signature",
    ("KeyInfo", "X509Data", "X509Certificate"): "certificate",
}
_PLAIN: frozenset[Rel] = frozenset(
    {
        _SI,
        (*_SI, "CanonicalizationMethod"),
        (*_SI, "SignatureMethod"),
        _REF,
        (*_REF, "Transforms"),
        _TRANSFORM,
        (*_REF, "DigestMethod"),
        (*_REF, "DigestValue"),
        ("SignatureValue",),
        ("KeyInfo",),
    }
)
_ELEMENT_ONLY = frozenset(
    {(), _SI, _REF, (*_REF, "Transforms"), ("KeyInfo",), ("KeyInfo", "X509Data")}
)


def _algorithm(attrs: Attrs) -> str | None:
    return next((v for q, v in attrs if not q.ns and q.local == "Algorithm"), None)


def _attr(attrs: Attrs, local: str) -> str | None:
    return next((v for q, v in attrs if not q.ns and q.local == local), None)


class SignatureReader:
    """Fill ``facts`` from the events inside the header Signature (not the Signature itself)."""

    def __init__(self, facts: SignatureFacts) -> None:
        self.facts = facts
        self._rel: list[str] = []
        self._buffer: list[str] | None = None
        self._chars = 0

    def start(self, name: QName, attrs: Attrs) -> None:
        self._rel.append(name.local)
        rel = tuple(self._rel)
        if rel[0] == "KeyInfo":
            self._key_info(rel)
        elif rel[-1] == "InclusiveNamespaces" and name.ns == EXC_C14N_NS:
            self._prefix_list(rel, attrs)
        elif name.ns not in SIGNATURE_NAMESPACES:
            self._problem(SignatureStructureError, f"foreign element {name.clark} in Signature")
        elif rel == ("Object",):
            self._problem(
                SignatureWrappingError,
                "the Signature carries an Object element: signed content inside the signature "
                "is how wrapping attacks hide the real data",
            )
        elif rel not in _PLAIN:
            self._problem(SignatureStructureError, f"unexpected element {'/'.join(rel)}")
        else:
            _STARTS.get(rel, _ignore)(self, attrs)
        if rel in _CAPTURED:
            self._buffer, self._chars = [], 0

    def end(self) -> None:
        rel = tuple(self._rel)
        if rel in _CAPTURED and self._buffer is not None:
            self._store(_CAPTURED[rel], "".join(self._buffer))
            self._buffer = None
        self._rel.pop()

    def text(self, data: str) -> None:
        if self._buffer is not None:
            self._chars += len(data)
            if self._chars > MAX_VALUE_CHARS:
                self._problem(SignatureStructureError, "a Signature value is too large")
                self._buffer = None
            else:
                self._buffer.append(data)
        elif tuple(self._rel) in _ELEMENT_ONLY and not data.strip() and "\n" in data:
            self.facts.signature_indented = True

    @property
    def in_signed_info(self) -> bool:
        return bool(self._rel) and self._rel[0] == "SignedInfo"

    def _store(self, kind: str, value: str) -> None:
        if kind == "digest":
            self.facts.references[-1].digest_value = value
        elif kind == "signature":
            self.facts.signature_values.append(value)
        else:
            self.facts.certificates.append(value)

    def _key_info(self, rel: Rel) -> None:
        """Anything may sit in KeyInfo (it is never trusted); note a KeyValue."""
        if len(rel) > 1 and rel[1] == "KeyValue":
            self.facts.key_value = True

    def _prefix_list(self, rel: Rel, attrs: Attrs) -> None:
        prefixes = parse_prefix_list(_attr(attrs, "PrefixList") or "")
        if rel == (*_SI, "CanonicalizationMethod", "InclusiveNamespaces"):
            self.facts.c14n_prefixes = prefixes
        elif rel == (*_TRANSFORM, "InclusiveNamespaces") and self.facts.references:
            transforms = self.facts.references[-1].transforms
            if transforms:
                transforms[-1] = (transforms[-1][0], prefixes)
        else:
            self._problem(SignatureStructureError, f"unexpected element {'/'.join(rel)}")

    def _problem(self, kind: type[VerificationError], message: str) -> None:
        self.facts.problems.append(kind(message))

    def _signed_info(self, attrs: Attrs) -> None:
        self.facts.signed_info_count += 1

    def _canonicalization(self, attrs: Attrs) -> None:
        self.facts.c14n_method = _algorithm(attrs)

    def _signature_method(self, attrs: Attrs) -> None:
        self.facts.signature_method = _algorithm(attrs)

    def _reference(self, attrs: Attrs) -> None:
        self.facts.references.append(ReferenceFacts(uri=_attr(attrs, "URI")))

    def _transform(self, attrs: Attrs) -> None:
        self.facts.references[-1].transforms.append((_algorithm(attrs) or "", frozenset()))

    def _digest_method(self, attrs: Attrs) -> None:
        self.facts.references[-1].digest_method = _algorithm(attrs)


def _ignore(reader: SignatureReader, attrs: Attrs) -> None:
    """Elements that need nothing recorded at their start."""


_STARTS: dict[Rel, Callable[[SignatureReader, Attrs], None]] = {
    _SI: SignatureReader._signed_info,
    (*_SI, "CanonicalizationMethod"): SignatureReader._canonicalization,
    (*_SI, "SignatureMethod"): SignatureReader._signature_method,
    _REF: SignatureReader._reference,
    _TRANSFORM: SignatureReader._transform,
    (*_REF, "DigestMethod"): SignatureReader._digest_method,
}


def reference_pipeline(ref: ReferenceFacts) -> tuple[bool, str]:
    """``(exclusive, hashlib name)`` to digest the document for ``ref``, or raise why not.

    Raises SignatureWrappingError for a URI other than ``""``, SignatureStructureError for
    transforms outside enveloped-signature followed by at most one exc-c14n / c14n (a non-empty
    InclusiveNamespaces PrefixList is not supported), WeakAlgorithmError for the digest.
    """
    if ref.uri != "":
        raise SignatureWrappingError(
            f"the Reference points at {ref.uri!r}; only URI=\"\" (the whole package) is accepted",
            hint="a reference to an Id lets signed and displayed content differ (wrapping)",
        )
    algorithms = [alg for alg, _ in ref.transforms]
    if not algorithms or algorithms[0] != ENVELOPED or len(algorithms) > 2:
        raise SignatureStructureError(
            f"unsupported Reference transforms {algorithms}: expected enveloped-signature, "
            "then optionally exclusive or inclusive C14N"
        )
    if len(algorithms) == 2 and algorithms[1] not in (EXC_C14N, C14N):
        raise SignatureStructureError(f"unsupported Reference transform {algorithms[1]}")
    if any(prefixes for _, prefixes in ref.transforms):
        raise SignatureStructureError(
            "an InclusiveNamespaces PrefixList on the Reference transform is not supported"
        )
    return algorithms[-1] == EXC_C14N, digest_alg(ref.digest_method).name
