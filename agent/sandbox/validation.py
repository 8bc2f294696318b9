"""The ``--validation`` level of ``sendEdoc`` (AXIS.md §12.9), on the rules of the edXML engine.

``off`` accepts any package the parser can route; ``bkav`` refuses a package with an error of
:func:`agent.core.edxml.validate.validate` at that level; ``strict`` also refuses organ codes that
do not match the strict regex of §8.1. Other warnings (an unknown status code) never refuse: unknown
codes are accepted and stored verbatim (§4.2).
"""

from __future__ import annotations

from agent.core.edxml.model import EdocPackage, MessageHeader, StatusPackage
from agent.core.edxml.validate import ValidationLevel, validate
from agent.errors import PackageError
from agent.sandbox.facts import PackageFacts

_SHOWN = 5


def validate_facts(facts: PackageFacts, level: ValidationLevel) -> None:
    """Raise :class:`PackageError` listing what ``level`` refuses in the package header."""
    if level is ValidationLevel.OFF:
        return
    header = facts.header
    if isinstance(header, MessageHeader):
        package: EdocPackage | StatusPackage = EdocPackage(header=header, trace_list=facts.trace)
    else:
        package = StatusPackage(header=header)
    refused = [
        p for p in validate(package, level)
        if p.severity == "error" or (level is ValidationLevel.STRICT and p.path.endswith("OrganId"))
    ]
    if refused:
        more = f" (and {len(refused) - _SHOWN} more)" if len(refused) > _SHOWN else ""
        raise PackageError(
            f"validation ({level.value}): " + "; ".join(str(p) for p in refused[:_SHOWN]) + more
        )
