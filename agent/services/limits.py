"""The ``limits`` section as the parser's and the ZIP unwrapper's bounds."""

from __future__ import annotations

from agent.config.schema import AgentConfig
from agent.core.edxml.tree import ParseLimits
from agent.core.edxml.zipwrap import ZipLimits
from agent.core.xmlstream import XmlLimits


def parse_limits(config: AgentConfig) -> ParseLimits:
    limits = config.limits
    return ParseLimits(
        xml=XmlLimits(max_bytes=limits.max_package_bytes, max_depth=limits.max_xml_depth),
        max_attachments=limits.max_attachments,
        max_attachment_bytes=limits.max_attachment_bytes,
        max_total_attachment_bytes=max(limits.max_package_bytes, limits.max_attachment_bytes),
    )


def zip_limits(config: AgentConfig) -> ZipLimits:
    limits = config.limits
    return ZipLimits(max_output_bytes=limits.max_attachment_bytes, max_ratio=limits.max_unzip_ratio)
