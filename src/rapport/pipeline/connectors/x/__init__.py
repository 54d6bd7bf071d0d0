"""X (Twitter) connector: Account Activity API webhooks and API v2 replies."""

from __future__ import annotations

from typing import ClassVar

from .client import XClient
from .normalise import normalise_payload
from .webhook import SIGNATURE_HEADER, crc_response, sign, verify_signature

__all__ = ["XClient", "XConnector"]


class XConnector:
    """CRC answers, signature checks and event normalisation for X, plus the client that sends replies."""

    network: ClassVar[str] = "twitter"
    capabilities: ClassVar[frozenset[str]] = frozenset({"webhook", "reply"})
    signature_header = SIGNATURE_HEADER
    client_class = XClient
    crc_response = staticmethod(crc_response)
    verify_signature = staticmethod(verify_signature)
    sign = staticmethod(sign)
    normalise = staticmethod(normalise_payload)
