"""motionlex.core.text."""
