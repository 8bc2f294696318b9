"""core/edxml."""
