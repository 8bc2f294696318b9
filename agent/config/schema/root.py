"""The whole configuration: one model per section, in the order of the generated example."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from agent.config.schema.axis import AxisSection
from agent.config.schema.base import Section, key_errors, setting
from agent.config.schema.exchange import (
    ExchangeSection,
    OrganSection,
    PickupSection,
    check_default_sender,
    check_organs,
)
from agent.config.schema.runtime import (
    HealthSection,
    JournalSection,
    LimitsSection,
    LoggingSection,
    MappingsSection,
    MetricsSection,
    OutboundSection,
    ReceiptsSection,
    ShutdownSection,
    ValidationSection,
)
from agent.config.schema.schedule import (
    DirectorySection,
    PollingSection,
    RetrySection,
    UploadSection,
)
from agent.config.schema.signatures import (
    SigningSection,
    VerificationSection,
    check_signing_key,
)


class AgentConfig(Section):
    """The configuration of one lienthong-agent (/etc/lienthong-agent/agent.yaml)."""

    axis: AxisSection = setting(description="The national axis and this agent's account on it.")
    organs: list[OrganSection] = setting(
        description="The organs served by this agent (one, or many for an LGSP-style system"
        " that registers several units under one system id).",
        min_length=1,
    )
    exchange: ExchangeSection = setting(
        default_factory=ExchangeSection, description="Folders shared with the DMS."
    )
    pickup: PickupSection = setting(
        default_factory=PickupSection, description="How outbox items are picked up."
    )
    polling: PollingSection = setting(
        default_factory=PollingSection, description="How often the axis is polled."
    )
    directory: DirectorySection = setting(
        default_factory=DirectorySection, description="The cached organ directory."
    )
    upload: UploadSection = setting(
        default_factory=UploadSection, description="Sending packages."
    )
    retry: RetrySection = setting(
        default_factory=RetrySection, description="Retries of transient axis failures."
    )
    signing: SigningSection = setting(
        default_factory=SigningSection, description="Signatures applied to outgoing documents."
    )
    verification: VerificationSection = setting(
        default_factory=VerificationSection,
        description="Verification of signatures on received documents.",
    )
    receipts: ReceiptsSection = setting(
        default_factory=ReceiptsSection, description="Status receipts sent by the agent."
    )
    outbound: OutboundSection = setting(
        default_factory=OutboundSection, description="Rules for outgoing documents."
    )
    journal: JournalSection = setting(
        default_factory=JournalSection, description="The crash-safe journal."
    )
    limits: LimitsSection = setting(
        default_factory=LimitsSection, description="Size and structure limits."
    )
    logging: LoggingSection = setting(
        default_factory=LoggingSection, description="Structured logs on standard output."
    )
    metrics: MetricsSection = setting(
        default_factory=MetricsSection, description="Metrics and health endpoints."
    )
    health: HealthSection = setting(
        default_factory=HealthSection, description="Health and the systemd watchdog."
    )
    shutdown: ShutdownSection = setting(
        default_factory=ShutdownSection, description="Graceful shutdown."
    )
    validation: ValidationSection = setting(
        default_factory=ValidationSection, description="Strictness of package checks."
    )
    mappings: MappingsSection = setting(
        default_factory=MappingsSection, description="Labels for coded values."
    )

    @model_validator(mode="after")
    def _cross_section(self) -> Self:
        problems = [
            *check_organs(self.organs),
            *check_default_sender(self.exchange, self.organs),
            *check_signing_key(self.signing),
        ]
        if problems:
            raise key_errors(problems)
        return self

    def organ(self, code: str) -> OrganSection | None:
        """The served organ with this code, if any."""
        return next((organ for organ in self.organs if organ.code == code), None)


__all__ = ["AgentConfig"]
