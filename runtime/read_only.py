"""The pages of a plan's memory that its code may read but not write, enforced by the CPU.

Two kinds of pages are kept read-only (`mprotect`) once the host has written them:
- page 0 (`[0, OS_PAGE)`, the bottom of the one stack at address 0 in every layout): the stop word
  and where the read-only pages are, which the bulk-memory guards read (ndg.runtime.sandboxed_code);
- the whole pages inside the fixed tables (constants, parameters, step index and records), which
  no node may change: a store into one traps at the store, and the trap's address says which
  table. Only the unaligned edges of the tables are left to compare after a run. (The planner
  lays the tables out as one span; of a crafted plan's several, the one with the most whole
  pages is protected, the others compared whole: the guards check one range besides page 0.)

The host writes the fixed pages only inside `writable()` and the stop word only through
`set_stop_word()`: a host write into a read-only page would kill the Python process (SIGSEGV).
"""

from __future__ import annotations

import ctypes
import mmap
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ndg.runtime.sandboxed_code import FIXED_PAGES, LOWEST_PAGE_END, STOP_WORD
from ndg.runtime.validate import OS_PAGE

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_READ, _READ_WRITE = mmap.PROT_READ, mmap.PROT_READ | mmap.PROT_WRITE
Span = tuple[int, int]  # [start, end) byte addresses


def fixed_pages(fixed_spans: Sequence[Span]) -> Span | None:
    """The read-only pages of the fixed tables: the most whole pages inside one span, if any."""
    inner = [(-(-start // OS_PAGE) * OS_PAGE, end // OS_PAGE * OS_PAGE) for start, end in fixed_spans]
    widest = max(inner, key=lambda pages: pages[1] - pages[0], default=(0, 0))
    return widest if widest[0] < widest[1] else None


def compared_spans(fixed_spans: Sequence[Span]) -> tuple[Span, ...]:
    """What of the fixed tables is left writable, and so compared after a run: the spans but for
    their read-only pages."""
    pages = fixed_pages(fixed_spans)
    if pages is None:
        return tuple(fixed_spans)
    compared = [piece for start, end in fixed_spans
                for piece in (((start, pages[0]), (pages[1], end)) if start <= pages[0] < end else ((start, end),))]
    return tuple((start, end) for start, end in compared if start < end)


def _mprotect(address: int, size: int, protection: int) -> None:
    if _libc.mprotect(address, size, protection) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mprotect of the plan's memory failed: {os.strerror(error)}")


class ReadOnlyPages:
    """The read-only pages of one plan memory at `base` (page-aligned, as mapped by wasmtime),
    protected from the start; the memory must stay mapped as long as this object is used."""

    def __init__(self, base: int, fixed_spans: Sequence[Span]):
        if base % OS_PAGE:
            raise RuntimeError(f"the plan's memory at {base:#x} is not page-aligned, so its pages cannot be protected")
        self._base = base
        fixed = fixed_pages(fixed_spans)
        self.ranges = ((0, OS_PAGE),) if fixed is None else ((0, OS_PAGE), fixed)
        self._stop = ctypes.c_uint32.from_address(base + STOP_WORD)
        ctypes.c_uint32.from_address(base + LOWEST_PAGE_END).value = OS_PAGE
        for offset, address in zip((FIXED_PAGES, FIXED_PAGES + 4), fixed or (OS_PAGE, OS_PAGE)):
            ctypes.c_uint32.from_address(base + offset).value = address
        for start, end in self.ranges:
            _mprotect(base + start, end - start, _READ)

    @contextmanager
    def writable(self, start: int = 0, end: int = 1 << 32) -> Iterator[None]:
        """The fixed tables' pages writable by the host while the block runs (no wasm runs then),
        when any of them lies in [start, end) (a parameter on an edge costs no system call)."""
        if not any(first < end and start < last for first, last in self.ranges[1:]):
            yield
            return
        self._protect_fixed(_READ_WRITE)
        try:
            yield
        finally:
            self._protect_fixed(_READ)

    def _protect_fixed(self, protection: int) -> None:
        for start, end in self.ranges[1:]:
            _mprotect(self._base + start, end - start, protection)

    @property
    def stop_word(self) -> int:
        return self._stop.value

    def set_stop_word(self, value: int) -> None:
        """Page 0 writable for the one write. Its callers take turns (ndg.runtime.sandbox's clock
        lock): one of them making the page read-only again under another's write would kill the
        process. A node that clears the word in that moment is stopped again a moment later
        (ndg.runtime.sandbox's `STOP_RECHECK`)."""
        _mprotect(self._base, OS_PAGE, _READ_WRITE)
        self._stop.value = value
        _mprotect(self._base, OS_PAGE, _READ)

    def range_of(self, address: int) -> Span | None:
        """The protected range holding `address`, if any."""
        return next(((start, end) for start, end in self.ranges if start <= address < end), None)
