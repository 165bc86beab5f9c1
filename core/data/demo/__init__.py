"""motionlex.core.data.demo: the built-in procedural demo gallery (seeded SMPL-22 motions with
captions from their parameters)."""
