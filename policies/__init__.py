"""The CrossGuard policy pack. `__main__.py` builds the pack; the rules live in `rules/`."""
