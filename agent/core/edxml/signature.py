"""The one check the builder makes on a ``Signature`` fragment before inserting it.

The XML-signature engine produces the fragment; this module only makes sure that what goes into the
package is a single well-formed ``Signature`` element (xmldsig namespace, QCVN namespace or none, in
which case it lands in the QCVN default namespace as VNPT's library writes it), so a mistake there
cannot produce a broken package. It does not interpret the signature.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from agent.core.edxml.model import QCVN_NS, XMLDSIG_NS
from agent.core.xmlstream import EventSink, QName, read_events
from agent.errors import InvalidValueError, XmlSafetyError

_HINT = "pass the complete <Signature>...</Signature> element produced by the signing engine."


class _Root(EventSink):
    def __init__(self) -> None:
        self.root: QName | None = None

    def start(
        self,
        name: QName,
        attrs: Sequence[tuple[QName, str]],
        nsdecls: Sequence[tuple[str | None, str | None]],
    ) -> None:
        if self.root is None:
            self.root = name


def check_signature_fragment(fragment: bytes) -> None:
    """Raise :class:`InvalidValueError` unless ``fragment`` is one ``Signature`` element."""
    if not fragment.startswith(b"<") or fragment.startswith(b"<?"):
        raise InvalidValueError(
            "the Signature fragment must start with the <Signature> element itself (no XML "
            "declaration, BOM or leading whitespace)",
            hint=_HINT,
        )
    root = _Root()
    try:
        read_events(io.BytesIO(fragment), [root])
    except XmlSafetyError as exc:
        raise InvalidValueError(
            f"the Signature fragment is not well-formed XML: {exc.message}", hint=_HINT
        ) from exc
    if root.root is None or root.root.local != "Signature" or root.root.ns not in (
        XMLDSIG_NS,
        QCVN_NS,
        "",
    ):
        found = root.root.clark if root.root else "nothing"
        raise InvalidValueError(
            f"the Signature fragment's element is {found}, not a Signature", hint=_HINT
        )
