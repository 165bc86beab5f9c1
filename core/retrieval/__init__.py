"""motionlex.core.retrieval.metrics."""
