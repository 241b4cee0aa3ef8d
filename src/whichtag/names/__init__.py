"""Names and rules as pure text, no I/O: references, tag names, platforms, version names."""
