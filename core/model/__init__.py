"""motionlex.core.model.model."""
