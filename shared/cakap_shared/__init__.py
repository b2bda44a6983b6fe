"""Cross-cutting building blocks shared by every Cakap service.

Only what an unrelated fifth service would want unchanged lives here.
"""
