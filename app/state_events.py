"""Events without Qt: the callbacks :class:`~motionlex.app.state.ExplorerState` calls when it
changes (as napari's layers emit events), so the state is tested without a display and the
window connects its widgets to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A list of callbacks called in order with the event's arguments (no Qt)."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        """Call ``callback(*args)`` on every :meth:`emit`."""
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Stop calling ``callback``.

        Raises:
            ValueError: ``callback`` is not connected.
        """
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        """Call every connected callback with ``args``."""
        for cb in list(self._callbacks):
            cb(*args)


class StateEvents:
    """The events of an :class:`ExplorerState`.

    Attributes:
        model(ModelInfo): a checkpoint was loaded.
        gallery(GalleryInfo): a gallery was opened (results cleared).
        results(RankResult): a ranking for the newest query arrived.
        motion(MotionData): the shown motion changed.
        status(str, int): a status text and how long to show it, ms (0: until replaced).
    """

    def __init__(self) -> None:
        self.model = Event()
        self.gallery = Event()
        self.results = Event()
        self.motion = Event()
        self.status = Event()
