"""The sandbox: a local emulator of the national document interchange axis (AXIS.md §12).

Public API::

    from agent.sandbox import SandboxConfig, SandboxServer, Registry, SystemSpec, OrganSpec

    config = SandboxConfig(
        data_dir=Path("/tmp/axis"),
        registry=Registry(
            systems=(SystemSpec("00.53.W00", "secret"),),
            organs=(OrganSpec("000.00.13.H53", "00.53.W00", name="Sở TT&TT"),),
        ),
        admin_token="t0k3n",
    )
    with SandboxServer(config) as server:
        ...  # server.url, server.admin_url

See ``docs/sandbox.md`` for the command line, the admin and ledger endpoints and the error codes.
"""

from agent.sandbox.codes import ErrorTable, Failure
from agent.sandbox.config import SandboxConfig, SenderRule
from agent.sandbox.faults import FaultKind, FaultRule, parse_fault_spec
from agent.sandbox.registry import OrganSpec, Registry, SystemSpec, load_seed
from agent.sandbox.server import SandboxServer
from agent.sandbox.transit import TransitMode

__all__ = [
    "ErrorTable",
    "Failure",
    "FaultKind",
    "FaultRule",
    "OrganSpec",
    "Registry",
    "SandboxConfig",
    "SandboxServer",
    "SenderRule",
    "SystemSpec",
    "TransitMode",
    "load_seed",
    "parse_fault_spec",
]
