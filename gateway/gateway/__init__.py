"""Cakap gateway: routes by service manifests, checks tokens, forwards over pooled sockets."""

from .app import Gateway, create_app

__all__ = ["Gateway", "create_app"]
