"""motionlex.app: the desktop explorer."""
