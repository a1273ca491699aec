"""Number options with a range: the argparse type that refuses a value outside it in one line, and
the helper that adds the range to an option's ``--help``. Imports nothing of the project, so any
layer's parser can use it."""
from __future__ import annotations

import argparse


class Bounded:
    """An argparse type: a number of ``kind`` (int or float) within bounds, refused in one line that
    says the range (NaN and infinities too; argparse names the option). ``span`` says the range
    in words, for ``--help`` (:func:`number`)."""

    def __init__(self, kind=int, low=None, high=None, *, low_open: bool = False, high_open: bool = False,
                 infinity: bool = False):
        self.kind, self.low, self.high, self.low_open, self.high_open = kind, low, high, low_open, high_open
        self.infinity = infinity  # "inf" is a value too (no bound, as a truncation)

    @property
    def span(self) -> str:
        return self._span() + (", or inf" if self.infinity else "")

    def _span(self) -> str:
        def show(value):
            return f"{value:,}" if self.kind is int else f"{value:g}"

        if self.low is not None and self.high is not None:
            if self.low_open:
                return f"above {show(self.low)} and {'below' if self.high_open else 'at most'} {show(self.high)}"
            return f"{show(self.low)} to {'below ' if self.high_open else ''}{show(self.high)}"
        if self.low is not None:
            return f"above {show(self.low)}" if self.low_open else f"{show(self.low)} or more"
        return f"below {show(self.high)}" if self.high_open else f"{show(self.high)} or less"

    def __call__(self, text: str):
        import math

        what = "a whole number" if self.kind is int else "a number"
        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, {self.span}; got {text!r}") from None
        if self.infinity and value == math.inf:
            return value
        outside = (not math.isfinite(value)
                   or (self.low is not None and (value <= self.low if self.low_open else value < self.low))
                   or (self.high is not None and (value >= self.high if self.high_open else value > self.high)))
        if outside:
            raise argparse.ArgumentTypeError(f"must be {self.span}, got {text}")
        return value


def number(parser, *flags: str, kind=int, low=None, high=None, low_open: bool = False, high_open: bool = False,
           infinity: bool = False, help: str | None = None, **kwargs):
    """``parser.add_argument(*flags, ...)`` for a number within bounds (:class:`Bounded`), with the
    range at the end of its help."""
    bounded = Bounded(kind, low, high, low_open=low_open, high_open=high_open, infinity=infinity)
    return parser.add_argument(*flags, type=bounded, help=f"{help} ({bounded.span})" if help else bounded.span, **kwargs)


SEED = Bounded(int, 0, 2**32 - 1)  # what NumPy's generators take
