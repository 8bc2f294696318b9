"""The configuration schema: pydantic models, one per section of ``agent.yaml``.

To add a setting, add a field declared with :func:`setting` (a description is required: it becomes
the comment in ``config/agent.example.yaml``) to the section it belongs to, then run
``lienthong-agent config generate -o config/agent.example.yaml``. A new section is a
:class:`Section` subclass added as a field of :class:`AgentConfig`.
"""

from agent.config.schema.axis import (
    DEFAULT_ERROR_CODES,
    AxisErrorCode,
    AxisSection,
    HashFileStyle,
    TlsSection,
)
from agent.config.schema.base import ConfigPath, CredentialName, SecretRef, Section, setting
from agent.config.schema.exchange import (
    ExchangeSection,
    FolderNames,
    Layout,
    OrganSection,
    PickupMode,
    PickupSection,
)
from agent.config.schema.root import AgentConfig
from agent.config.schema.runtime import (
    AnswerPolicy,
    HealthSection,
    JournalSection,
    LimitsSection,
    LogFormat,
    LoggingSection,
    LogLevel,
    MappingsSection,
    MetricsSection,
    OutboundSection,
    ReceiptsSection,
    ShutdownSection,
    StaffSection,
    Strictness,
    ValidationSection,
)
from agent.config.schema.schedule import (
    DirectorySection,
    DirectorySource,
    Jitter,
    PollingSection,
    RetrySection,
    UploadSection,
)
from agent.config.schema.signatures import (
    FailureAction,
    KeyFormat,
    SigningSection,
    VerificationSection,
)

__all__ = [
    "DEFAULT_ERROR_CODES",
    "AgentConfig",
    "AnswerPolicy",
    "AxisErrorCode",
    "AxisSection",
    "ConfigPath",
    "CredentialName",
    "DirectorySection",
    "DirectorySource",
    "ExchangeSection",
    "FailureAction",
    "FolderNames",
    "HashFileStyle",
    "HealthSection",
    "Jitter",
    "JournalSection",
    "KeyFormat",
    "Layout",
    "LimitsSection",
    "LogFormat",
    "LogLevel",
    "LoggingSection",
    "MappingsSection",
    "MetricsSection",
    "OrganSection",
    "OutboundSection",
    "PickupMode",
    "PickupSection",
    "PollingSection",
    "ReceiptsSection",
    "RetrySection",
    "SecretRef",
    "Section",
    "ShutdownSection",
    "SigningSection",
    "StaffSection",
    "TlsSection",
    "Strictness",
    "UploadSection",
    "ValidationSection",
    "VerificationSection",
    "setting",
]
