"""The player: launch page, sandboxed content with the injected SCORM runtime shim."""
