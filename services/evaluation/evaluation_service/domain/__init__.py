"""Evaluation rules written in the feature layout (docs/decisions/0005)."""
