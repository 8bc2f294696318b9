"""``polling``, ``directory``, ``upload`` and ``retry``: when the agent talks to the axis."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import model_validator

from agent.config.schema.base import Seconds, Section, key_error, setting


class PollingSection(Section):
    """How often the axis is asked for new items (getReceivedEdocList, getSentEdocList)."""

    edoc_interval_seconds: Seconds = setting(
        60.0, description="Interval between two polls of the list of received documents."
    )
    status_interval_seconds: Seconds = setting(
        60.0, description="Interval between two polls of the list of received status packages."
    )
    sent_status_interval_seconds: Seconds = setting(
        300.0,
        description="Interval between two checks (getSentEdocList) of the delivery state of"
        " documents sent and not yet delivered to every recipient.",
    )
    sent_status_max_age_seconds: Seconds = setting(
        7 * 86400.0,
        description="Stop checking the delivery state of a sent document this long after it was"
        " accepted by the axis.",
    )
    jitter_seconds: float = setting(
        5.0,
        description="Random delay (0..this) added to each interval so that many agents do not"
        " poll the axis at the same second.",
        ge=0,
    )


class DirectorySource(StrEnum):
    """Which axis operation provides the organ directory."""

    AGENCIES_LIST = "getAgenciesList"
    AGENCIES_LIST_QD20 = "getAgenciesListQD20"
    SYNCHRONIZE_UNIT = "getSynchronizeUnit"


class DirectorySection(Section):
    """The cached directory of organs (danh bạ) used to check recipients."""

    source: DirectorySource = setting(
        DirectorySource.AGENCIES_LIST,
        description="Axis operation the directory is read from: getAgenciesList (QCVN 102"
        " codes, the default), getAgenciesListQD20 or getSynchronizeUnit.",
    )
    sync_interval_seconds: Seconds = setting(
        86400.0,
        description="Interval between two directory synchronisations (the national directory"
        " holds about 111 000 rows: once a day is enough).",
    )
    sync_at_startup: bool = setting(
        True, description="Synchronise the directory at start-up when the cache is stale."
    )
    require_known_recipients: bool = setting(
        True,
        description="Refuse (to failed/) an outbox item addressed to an organ code missing from"
        " the cached directory. Off: send anyway and let the axis decide.",
    )


class UploadSection(Section):
    """Sending packages with sendEdoc."""

    concurrency: int = setting(
        2,
        description="Packages uploaded at the same time. More helps on a fast link with many"
        " small documents; each upload holds one package in flight.",
        ge=1,
        le=32,
    )


class Jitter(StrEnum):
    """Randomisation of retry delays."""

    FULL = "full"
    EQUAL = "equal"
    NONE = "none"


class RetrySection(Section):
    """Retries of axis calls that failed for a transient reason (network, 5xx, 429)."""

    backoff_base_seconds: Seconds = setting(
        5.0, description="Delay before the first retry; doubled at each further attempt."
    )
    backoff_cap_seconds: Seconds = setting(
        900.0, description="Longest delay between two attempts."
    )
    jitter: Jitter = setting(
        Jitter.FULL,
        description="'full': a random delay between 0 and the backoff; 'equal': half fixed, half"
        " random; 'none': exactly the backoff.",
    )
    max_attempts: int = setting(
        30,
        description="Attempts after which an item goes to failed/ with the last error.",
        ge=1,
    )
    max_age_seconds: Seconds = setting(
        3 * 86400.0,
        description="Time after the first attempt after which an item goes to failed/, whatever"
        " the number of attempts (covers a weekend-long axis outage).",
    )
    honour_retry_after: bool = setting(
        True, description="Wait as long as a 429 or 503 answer's Retry-After header asks."
    )
    retry_after_cap_seconds: Seconds = setting(
        3600.0, description="Longest Retry-After honoured; longer values are cut to this."
    )

    @model_validator(mode="after")
    def _cap_above_base(self) -> Self:
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise key_error(
                "backoff_cap_seconds", "must not be smaller than 'backoff_base_seconds'"
            )
        return self
