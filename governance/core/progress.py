"""How far a long command got, for the person watching it (no Django).

On a terminal one line is redrawn in place; into a pipe or a file (CI logs,
tests) a line is written at each quarter, so the log stays short.
"""

from __future__ import annotations

from typing import Any

BAR_WIDTH = 24
QUARTERS = (25, 50, 75, 100)


class Progress:
    def __init__(self, out: Any, label: str, total: int) -> None:
        # A management command's OutputWrapper keeps the real stream in `_out`.
        self._stream = getattr(out, "_out", out)
        isatty = getattr(self._stream, "isatty", None)
        self._tty = bool(isatty is not None and isatty())
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._reported = 0

    def advance(self, step: int = 1, *, note: str = "") -> None:
        self.done = min(self.total, self.done + step)
        percent = self.done * 100 // self.total
        if self._tty:
            filled = BAR_WIDTH * self.done // self.total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self._stream.write(f"\r  {self.label} [{bar}] {percent:3d} % {note}".rstrip() + " ")
            self._stream.flush()
            return
        due = [q for q in QUARTERS if self._reported < q <= percent]
        if due:
            self._reported = due[-1]
            self._stream.write(f"  {self.label}: {due[-1]} % {note}".rstrip() + "\n")

    def finish(self) -> None:
        """Ends the redrawn line, so what follows starts on its own."""
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
