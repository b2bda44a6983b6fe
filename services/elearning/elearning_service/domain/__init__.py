"""Elearning's rules by feature, testable without HTTP (docs/decisions/0005)."""
