"""motionlex.core: everything that is not GUI (data, skeletons, motion patches, models,
training, evaluation, index). Never imports Qt."""

__version__ = "0.1.0"
