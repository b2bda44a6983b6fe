"""SCORM packages: safe unpacking, manifest parsing and the CMI data model (pure Python)."""
