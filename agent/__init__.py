"""lienthong-agent: connector to Vietnam's national document interchange axis."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lienthong-agent")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
