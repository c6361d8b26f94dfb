"""Shipping: the carrier and tracking link an order ships with, and the stages
of its journey until delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from portal_runtime.errors import InvalidArgument, Violations, require_field

# The stage a shipment starts with.
FIRST_STAGE = "Picked up"


@dataclass(frozen=True)
class DeliveryStage:
    label: str
    location: str
    at: datetime


def check_shipping(carrier: str, tracking_url: str) -> tuple[str, str]:
    """The carrier (spaces collapsed) and the http(s) tracking URL, or
    InvalidArgument naming both problems."""
    violations = Violations()
    carrier = " ".join(carrier.split())
    if not carrier:
        violations.add("carrier", "is required")
    elif len(carrier) > 100:
        violations.add("carrier", "must be at most 100 characters")
    url = tracking_url.strip()
    parsed = urlparse(url)
    if not url:
        violations.add("trackingUrl", "is required")
    elif parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        violations.add("trackingUrl", "must be an http(s) URL")
    violations.raise_if_any()
    return carrier, url


def check_stage(label: str, location: str) -> tuple[str, str]:
    """A delivery stage's label and location, spaces collapsed."""
    label = " ".join(require_field(label, "label").split())
    if len(label) > 100 or len(location) > 200:
        raise InvalidArgument.for_field("label", "label up to 100, location up to 200 characters")
    return label, " ".join(location.split())
