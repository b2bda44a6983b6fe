"""What can go wrong while forwarding, each answered by the gateway with its own problem."""

from __future__ import annotations


class UpstreamError(Exception):
    """The service could not be reached or did not answer properly."""

    status = 502


class UpstreamTimeout(UpstreamError):
    """The service did not answer within the timeout."""

    status = 504


class StaleConnection(Exception):
    """A pooled connection was closed by the service before it answered."""


class BodyTooLarge(Exception):
    """The client sent more than the gateway accepts."""


class BadRequest(Exception):
    """The client's request cannot be forwarded as it is."""


class ClientStalled(Exception):
    """The client stopped sending its body (the worker's socket timeout passed)."""
