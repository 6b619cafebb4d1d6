"""The CrossGuard policy pack: `__main__.py` builds it from `guardrails/`, one policy per module of its `rules/`."""
