"""axis."""
