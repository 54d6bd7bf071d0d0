"""Generic connector: any system that can POST signed JSON lines to Rapport."""

from __future__ import annotations

from typing import ClassVar

from .normalise import normalise_body
from .webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify_signature

__all__ = ["GenericWebhookConnector"]


class GenericWebhookConnector:
    """Signature and freshness checks plus parsing for Rapport's own webhook format."""

    network: ClassVar[str] = "generic"
    capabilities: ClassVar[frozenset[str]] = frozenset({"webhook"})
    signature_header = SIGNATURE_HEADER
    timestamp_header = TIMESTAMP_HEADER
    verify_signature = staticmethod(verify_signature)
    sign = staticmethod(sign)
    normalise = staticmethod(normalise_body)
