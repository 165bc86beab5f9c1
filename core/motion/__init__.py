"""motionlex.core.motion.motion."""
