"""Package checks beyond what processing needs, at ``validation.strictness``.

``lenient`` checks nothing more; ``standard`` applies the rules other connectors enforce (the
``bkav`` level of :func:`agent.core.edxml.validate.validate`); ``strict`` adds the formats of codes
and names. ``validation.max_subject_length`` caps the trích yếu. Received packages that fail are
quarantined; documents to send that fail go to failed/ before anything leaves. Warnings are kept
(``document.json`` of a received document lists them).
"""

from __future__ import annotations

from agent.config.schema import AgentConfig, Strictness
from agent.core.edxml.model import EdocPackage
from agent.core.edxml.validate import Problem, ValidationLevel, validate
from agent.errors import ExchangeItemError, PackageError

LEVELS = {Strictness.LENIENT: ValidationLevel.OFF, Strictness.STANDARD: ValidationLevel.BKAV,
          Strictness.STRICT: ValidationLevel.STRICT}


def package_problems(
    config: AgentConfig, package: EdocPackage
) -> tuple[list[Problem], list[Problem]]:
    """The errors and the warnings of ``package`` at the configured strictness."""
    problems = validate(package, LEVELS[config.validation.strictness])
    limit = config.validation.max_subject_length
    subject = package.header.subject or ""
    if limit is not None and len(subject) > limit:
        problems.insert(0, Problem("error", "MessageHeader/Subject",
                                   f"(trích yếu) has {len(subject)} characters, more than"
                                   f" validation.max_subject_length ({limit})"))
    return ([p for p in problems if p.severity == "error"],
            [p for p in problems if p.severity != "error"])


def summary(config: AgentConfig, errors: list[Problem]) -> str:
    return (f"{len(errors)} rule(s) of validation.strictness"
            f" '{config.validation.strictness.value}' broken: " + "; ".join(map(str, errors)))


HINT = ("correct the fields named, or lower validation.strictness if the partner's system is"
        " known to omit them")


def check_outgoing(config: AgentConfig, package: EdocPackage) -> None:
    """ExchangeItemError (to failed/) listing every error of a package about to be sent."""
    errors, _ = package_problems(config, package)
    if errors:
        raise ExchangeItemError(f"the document {summary(config, errors)}",
                                problems=tuple(map(str, errors)), hint=HINT)


def check_received(config: AgentConfig, package: EdocPackage) -> list[Problem]:
    """The warnings of a received package; PackageError (to quarantine/) on an error."""
    errors, warnings = package_problems(config, package)
    if errors:
        raise PackageError(f"the received package {summary(config, errors)}", hint=HINT)
    return warnings
