"""motionlex.core.data.datasets."""
