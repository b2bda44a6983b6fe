"""Catalog API blueprints written in the feature layout (docs/decisions/0005)."""
