"""A bounded memo for the reader's pure lookups that every card of every form repeats."""

from __future__ import annotations

from typing import Any


class Memo(dict):  # type: ignore[type-arg]
    """Answers kept by key; emptied when `size` are kept (the reader's hot loops ask get()
    first, so the bound costs nothing on a hit). Callers keep short keys only: a form of
    32.767-character cells must not make a memo hold gigabytes."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def keep(self, key: Any, value: Any) -> None:
        if len(self) >= self.size:
            self.clear()
        self[key] = value
