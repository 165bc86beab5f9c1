"""motionlex.core: everything that is not GUI (data, skeletons, motion patches, models,
training, evaluation, index). Never imports Qt."""

from importlib.metadata import PackageNotFoundError, version

try:  # the installed distribution's version (pyproject's), one source of truth
    __version__ = version("motionlex")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0.1.0"
