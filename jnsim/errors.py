"""The exceptions jnsim raises for user mistakes.

Every user-facing problem is a :class:`JnsimError`. When the problem sits in a
piece of model text (an equation string, a reset statement, a threshold), the
error carries a :class:`SourceSpan` and formats itself with the offending line,
a caret under the token and a hint::

    EquationError: line 2, column 5: expected an expression after '='
      2 | I = : amp
        |     ^
    hint: a parameter is written 'I : amp'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = [
    "CodeError",
    "EquationError",
    "JnsimError",
    "MethodError",
    "NamespaceError",
    "RunError",
    "SourceSpan",
    "UnitError",
    "UnusedTemporaryWarning",
    "errors_within",
]


@dataclass(frozen=True)
class SourceSpan:
    """A region of model text, for pointing at mistakes.

    Parameters
    ----------
    text
        The complete text the span refers to (an equation string, a code block).
    line
        1-based line number of the first character, counted in ``text``.
    column
        1-based column of the first character.
    length
        Number of characters to underline (at least one caret is drawn).
    line_offset
        Added to ``line`` when the span is shown, e.g. to count lines of a
        notebook cell whose first line is the magic itself.
    """

    text: str
    line: int
    column: int
    length: int = 1
    line_offset: int = 0

    @classmethod
    def from_offset(
        cls, text: str, offset: int, length: int = 1, line_offset: int = 0
    ) -> SourceSpan:
        """Build a span from a 0-based character offset into ``text``."""
        offset = max(0, min(offset, len(text)))
        before = text[:offset]
        line = before.count("\n") + 1
        column = offset - (before.rfind("\n") + 1) + 1
        return cls(text, line, column, max(1, length), line_offset)

    @property
    def source_line(self) -> str:
        """The text of the line the span starts on."""
        lines = self.text.split("\n")
        if 1 <= self.line <= len(lines):
            return lines[self.line - 1]
        return ""

    @property
    def shown_line(self) -> int:
        """The line number as shown to the user."""
        return self.line + self.line_offset

    def excerpt(self) -> str:
        """The source line with a caret line underneath."""
        source_line = self.source_line.rstrip()
        number = str(self.shown_line)
        gutter = " " * len(number)
        available = max(1, len(source_line) - (self.column - 1))
        carets = "^" * max(1, min(self.length, available))
        return (
            f"  {number} | {source_line}\n"
            f"  {gutter} | {' ' * (self.column - 1)}{carets}"
        )


class JnsimError(Exception):
    """Base class of every error jnsim raises for a user mistake.

    Parameters
    ----------
    message
        What went wrong, in the user's words.
    span
        Where in the model text it went wrong, if it is about model text.
    hint
        What to do about it.

    Attributes
    ----------
    where
        The object or model the text belongs to (``"NeuronGroup 'cells', model
        'AdEx' (the %%neuron AdEx cell)"``), set by :meth:`within`; ``None`` if
        not known.
    """

    where: str | None = None

    def __init__(self, message: str, span: SourceSpan | None = None, hint: str | None = None):
        self.message = message
        self.span = span
        self.hint = hint
        super().__init__(self._format())

    @property
    def line(self) -> int | None:
        """Line number of the mistake as shown to the user (``None`` if not about text)."""
        return self.span.shown_line if self.span else None

    @property
    def column(self) -> int | None:
        """1-based column of the mistake (``None`` if not about text)."""
        return self.span.column if self.span else None

    def _format(self) -> str:
        parts = []
        where = f"{self.where}, " if self.where else ""
        if self.span is not None:
            parts.append(f"{where}line {self.span.shown_line}, column {self.span.column}: "
                         f"{self.message}")
            parts.append(self.span.excerpt())
        else:
            parts.append(f"{self.where}: {self.message}" if self.where else self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def with_line_offset(self, line_offset: int) -> JnsimError:
        """A copy of this error whose line numbers are shifted by ``line_offset``."""
        span = self.span
        if span is not None:
            span = SourceSpan(span.text, span.line, span.column, span.length, line_offset)
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        JnsimError.__init__(clone, self.message, span, self.hint)
        return clone

    def within(self, where: str) -> JnsimError:
        """A copy of this error that names the object or model it belongs to.

        An error that already names one is returned as it is (the innermost
        owner is the most precise).
        """
        if self.where is not None:
            return self
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.where = where
        JnsimError.__init__(clone, self.message, self.span, self.hint)
        clone.__traceback__ = self.__traceback__
        return clone


@contextmanager
def errors_within(where: Callable[[], str]) -> Iterator[None]:
    """Name the owner (``where()``) in every :class:`JnsimError` raised inside.

    Examples
    --------
    >>> with errors_within(lambda: "NeuronGroup 'cells'"):  # doctest: +SKIP
    ...     analyse(equations, ...)
    """
    try:
        yield
    except JnsimError as error:
        raise error.within(where()) from None


class EquationError(JnsimError):
    """A mistake in equation text: syntax, names, flags, forbidden constructs."""


class UnitError(JnsimError):
    """A physical-unit mistake: bad unit specification or inconsistent dimensions."""


class CodeError(JnsimError):
    """A mistake in a code block (reset, threshold, ``on_pre``/``on_post`` pathways)."""


class NamespaceError(JnsimError):
    """An external name that cannot be resolved, or resolves to an unusable value."""


class MethodError(JnsimError):
    """An integration method that does not exist or cannot integrate the equations."""


class RunError(JnsimError):
    """A problem while running a simulation (e.g. a NaN in the state)."""


class UnusedTemporaryWarning(UserWarning):
    """A code block assigns a temporary variable that no later statement reads."""
