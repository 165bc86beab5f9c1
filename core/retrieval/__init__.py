"""motionlex.core.retrieval: embedding, gallery indexes (building, reading, searching),
metrics, evaluation protocols and reports."""
