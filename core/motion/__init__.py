"""motionlex.core.motion: skeletons, the Motion type and its canonical form, and the motion
file readers and writers (joint arrays, BVH, GLB)."""
