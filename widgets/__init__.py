"""motionlex.widgets: reusable Qt views (numpy in, never torch)."""
