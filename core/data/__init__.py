"""motionlex.core.data: datasets, captions and splits, training pairs and batches, composed
clips and the procedural demo gallery."""
