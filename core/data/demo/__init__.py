"""motionlex.core.data.datasets.demo."""
