"""motionlex.core.train."""
