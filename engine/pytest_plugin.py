"""Chronicle's pytest plugin: chapters as pytest items (being built)."""
