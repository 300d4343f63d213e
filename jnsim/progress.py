"""Progress bars for long runs: a widget in a notebook, a text line in a terminal.

:meth:`jnsim.Network.run` (and :func:`jnsim.run`) accept a callable as ``report=``;
it is called every ``report_period`` of wall time, and once at the end, as
``report(elapsed_s, fraction, start_s, duration_s)``. :func:`progress_report`
makes such a callable that draws a progress bar::

    from jnsim.progress import progress_report
    net.run(10*second, report=progress_report(), report_period=0.5*second)

In a notebook the bar is an ipywidgets ``FloatProgress`` with a label (shown
when the first report arrives); elsewhere it is a line of text rewritten in
place on ``sys.stderr``. ``report_period`` is 10 s by default, so give a
shorter one to see the bar move in runs of a few seconds.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["ProgressBar", "in_notebook", "progress_report"]


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (which can show widgets and HTML).

    Returns
    -------
    bool
        True inside an IPython kernel (``ipykernel``), False in a terminal, in
        a plain Python process or in terminal IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _format_seconds(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def describe_progress(elapsed: float, fraction: float) -> str:
    """The words shown next to the bar: ``'40% · 2.0 s elapsed · about 3.0 s left'``.

    Parameters
    ----------
    elapsed
        Wall time since the run started, in seconds.
    fraction
        Completed fraction of the run, in [0, 1].

    Returns
    -------
    str
        A one-line description.
    """
    fraction = min(max(fraction, 0.0), 1.0)
    text = f"{fraction:.0%} · {_format_seconds(elapsed)} elapsed"
    if fraction >= 1:
        return f"done in {_format_seconds(elapsed)}"
    if fraction > 0:
        text += f" · about {_format_seconds(elapsed / fraction - elapsed)} left"
    return text


class ProgressBar:
    """A ``report=`` callable for :meth:`jnsim.Network.run` that draws a progress bar.

    Parameters
    ----------
    description
        Text before the bar.
    widget
        True for an ipywidgets bar, False for text; by default a widget in a
        notebook and text elsewhere.
    stream
        Where the text bar is written (``sys.stderr`` by default).
    width
        Characters of the text bar.

    Attributes
    ----------
    fraction
        The completed fraction at the last report.
    bar
        The ``FloatProgress`` widget (``None`` for a text bar, or before the first report).
    """

    def __init__(self, description: str = "simulating", widget: bool | None = None,
                 stream: TextIO | None = None, width: int = 30) -> None:
        self.description = description
        self.use_widget = in_notebook() if widget is None else bool(widget)
        self.stream = stream
        self.width = width
        self.fraction = 0.0
        self.bar: Any = None
        self.label: Any = None
        self.box: Any = None

    def __call__(self, elapsed: float, fraction: float, start: float, duration: float
                 ) -> None:
        """Show the progress of a run (the signature ``Network.run`` calls).

        Parameters
        ----------
        elapsed
            Wall time since the run started, in seconds.
        fraction
            Completed fraction of the run.
        start
            Model time at the start of the run, in seconds.
        duration
            Model time the run simulates, in seconds.
        """
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        text = describe_progress(elapsed, self.fraction)
        if self.use_widget:
            self._update_widget(text)
        else:
            self._update_text(text)

    def _update_widget(self, text: str) -> None:
        if self.bar is None:
            import ipywidgets as widgets
            from IPython.display import display

            self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                             description=self.description,
                                             style={"description_width": "initial"})
            self.label = widgets.Label(value="")
            self.box = widgets.HBox([self.bar, self.label])
            display(self.box)
        self.bar.value = self.fraction
        self.label.value = text
        if self.fraction >= 1:
            self.bar.bar_style = "success"

    def _update_text(self, text: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        filled = round(self.fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if self.fraction >= 1 else ""
        stream.write(f"\r{self.description} [{bar}] {text}{end}")
        stream.flush()


def progress_report(description: str = "simulating", widget: bool | None = None,
                    stream: TextIO | None = None) -> ProgressBar:
    """A progress bar to pass as ``report=`` to ``run()``.

    Parameters
    ----------
    description
        Text before the bar.
    widget
        True for an ipywidgets bar, False for text; by default a widget in a
        notebook and text elsewhere.
    stream
        Where a text bar is written (``sys.stderr`` by default).

    Returns
    -------
    ProgressBar
        A callable ``report(elapsed_s, fraction, start_s, duration_s)``.

    Examples
    --------
    >>> net.run(10*second, report=progress_report(), report_period=1*second)  # doctest: +SKIP
    """
    return ProgressBar(description, widget=widget, stream=stream)
