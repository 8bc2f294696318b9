"""The agent's configuration: schema, loading, secrets, paths and the generated example.

::

    from agent.config import load_config, read_secret
    config = load_config("/etc/lienthong-agent/agent.yaml")     # InvalidConfigError lists problems
    secret = read_secret(config.axis.secret)                     # Secret; repr hides the value
    hmac_key = secret.reveal()                                   # bytes, at the point of use only
"""

from agent.config.example import generate_example
from agent.config.files import check_files
from agent.config.loader import ENV_PREFIX, env_overrides, load_config, load_config_text
from agent.config.paths import (
    DEFAULT_CONFIG_FILE,
    configuration_directory,
    credentials_directory,
    default_journal_path,
    state_directory,
)
from agent.config.problems import ConfigProblem, InvalidConfigError
from agent.config.schema import AgentConfig, SecretRef
from agent.config.secrets import Secret, read_password, read_secret, secret_path

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "AgentConfig",
    "ConfigProblem",
    "InvalidConfigError",
    "Secret",
    "SecretRef",
    "check_files",
    "configuration_directory",
    "credentials_directory",
    "default_journal_path",
    "env_overrides",
    "generate_example",
    "load_config",
    "load_config_text",
    "read_password",
    "read_secret",
    "secret_path",
    "state_directory",
]
