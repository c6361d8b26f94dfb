"""The web application's pages that e-mails point to, and how long the
one-time links stay valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from portal_runtime.errors import InvalidArgument

from .messages import Template

# The customer web portal (`python -m web`).
DEFAULT_WEB_URL = "http://127.0.0.1:8000"

# How long each kind of link stays valid when the event does not say.
DEFAULT_VALIDITY = {
    Template.ACTIVATION: timedelta(hours=48),
    Template.ACCOUNT_OPENED: timedelta(hours=48),
    Template.FIRST_CONNECTION: timedelta(days=30),
    Template.MAGIC_LINK: timedelta(days=30),
    Template.PASSWORD_RESET: timedelta(hours=1),
    Template.INVITATION: timedelta(hours=48),
}


def link_validity(
    template: Template, occurred_at: datetime | None, expires_at: datetime | None
) -> timedelta:
    """What the event says (from when it happened to when the link expires),
    else the template's default."""
    if occurred_at and expires_at and expires_at > occurred_at:
        return expires_at - occurred_at
    return DEFAULT_VALIDITY[template]


@dataclass(frozen=True)
class LinkBuilder:
    """The web application's pages that e-mails point to. The one-time token
    travels in the query string (`?token=`), so operators (and tests) can read it
    back from the stored links."""

    web_url: str = DEFAULT_WEB_URL

    def __post_init__(self) -> None:
        object.__setattr__(self, "web_url", (self.web_url or DEFAULT_WEB_URL).rstrip("/"))

    def _with_token(self, path: str, token: str) -> str:
        if not token:
            raise InvalidArgument.for_field("token", "is required for this link")
        return f"{self.web_url}{path}?{urlencode({'token': token})}"

    def activation(self, token: str) -> str:
        return self._with_token("/activate", token)

    def magic_link(self, token: str) -> str:
        """Also where a first-connection link goes: the same redemption."""
        return self._with_token("/magic-link", token)

    def password_reset(self, token: str) -> str:
        return self._with_token("/reset-password", token)

    def invitation(self, token: str) -> str:
        """An invitation with a token creates the account; without one, the
        person already has an account and just logs in."""
        return self._with_token("/accept-invitation", token) if token else self.login()

    def login(self) -> str:
        return f"{self.web_url}/login"

    def forgot_password(self) -> str:
        """Where to ask for a reset link (the security notice points there)."""
        return f"{self.web_url}/forgot-password"

    def document(self, document_id: str) -> str:
        """A billing document in the customer's space."""
        return f"{self.web_url}/documents/{_segment(document_id, 'documentId')}"

    def claim(self, claim_id: str) -> str:
        """A claim in the customer's space."""
        return f"{self.web_url}/claims/{_segment(claim_id, 'claimId')}"

    def fleet_request(self, request_id: str) -> str:
        """A request on lines (options, suspension...) in the customer's space."""
        return f"{self.web_url}/fleet/requests/{_segment(request_id, 'requestId')}"

    def admin_claim(self, claim_id: str) -> str:
        """A claim in the operators' back office."""
        return f"{self.web_url}/admin/claims/{_segment(claim_id, 'claimId')}"

    def equipment_request(self, service_request_id: str) -> str:
        """A service request on machines (parts, intervention...) in the customer's space."""
        segment = _segment(service_request_id, "serviceRequestId")
        return f"{self.web_url}/equipment/requests/{segment}"

    def quote(self, quote_id: str) -> str:
        """A quote in the customer's space."""
        return f"{self.web_url}/quotes/{_segment(quote_id, 'quoteId')}"

    def admin_service_request(self, service_request_id: str) -> str:
        """A service request in the operators' back office."""
        segment = _segment(service_request_id, "serviceRequestId")
        return f"{self.web_url}/admin/service-requests/{segment}"

    def admin_contact_request(self, contact_request_id: str) -> str:
        """A change request in the operators' back office."""
        segment = _segment(contact_request_id, "contactRequestId")
        return f"{self.web_url}/admin/contact-requests/{segment}"


def _segment(value: str, field_name: str) -> str:
    if not value:
        raise InvalidArgument.for_field(field_name, "is required for this link")
    return quote(value, safe="")
