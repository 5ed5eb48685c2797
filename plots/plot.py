#!/usr/bin/python3
"""Plots of sharebench JSON reports (results/SCHEMA.md).

Run with Debian's python, which has matplotlib (the pyenv python3 on PATH has not):

    /usr/bin/python3 plots/plot.py results/run.json -o plots/out/
    /usr/bin/python3 plots/plot.py before.json after.json -o plots/out/

Writes into DIR (created if missing) a PNG and an SVG of each chart:

    throughput.png/.svg        ops/s vs procs, one line per strategy, one panel per workload
    latency.png/.svg           p50, p99, p99.9 per strategy at --procs N (default: the largest)
    value-size.png/.svg        a report sweeping value size: ops/s vs value size, log-log,
                               one line per strategy, one panel per workload and procs
    value-size-bytes.png/.svg  the same with bytes/s (bytes_per_second)
    keys.png/.svg              a report sweeping key count: ops/s vs keys, log x, the
                               key counts whose working set fills each cache dotted
    change.png/.svg            with two reports only: % change of ops/s per cell, before -> after

In a sweep, throughput and latency show its smallest value size and key count. With two
reports, all but change show the second (after); change matches cells by all dimensions.
Points are medians of the repetitions that ran ok; bars span their min-max. Skipped and
failed cells are left out and named in the caption; a strategy with nothing drawn is in no
legend. A strategy has one colour and marker in every chart, chosen by its name; Python
mechanisms (py-*, python:PATH) are dashed with hollow markers, a Python peer in a lighter
shade of the C++ strategy it stands beside. A change bar is solid only when the rank test
sharebench compare uses finds it significant over >= 3 repetitions a side; the caption says
which rule each shade stands for.

Prints the cells two reports do not share (if any), then the files written, one a line. A
report that cannot be read or is not a sharebench report: one line on stderr ("plot.py: FILE:
what is wrong"), exit 2; so is a python without matplotlib (naming /usr/bin/python3).
"""

import argparse
import collections
import datetime
import functools
import importlib.util
import json
import math
import os
import re
import statistics
import sys
import textwrap
import zlib

PROG = "plot.py"
KNOWN_SCHEMA_VERSION = 1
PERCENTILES = (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"))
CHARTS = ("throughput", "latency")  # always written; "change" with two reports
FORMATS = ("png", "svg")
GAIN, LOSS = "#2a9d4b", "#c0392b"
DEBIAN_PYTHON = "/usr/bin/python3"

# One colour and marker per strategy in every chart, keyed by its name (never by the order a
# report lists strategies in). A Python peer takes a lighter shade of the colour of the C++
# strategy it stands beside, and its marker.
STRATEGY_COLORS = {"null": "#4d4d4d", "mmap-table": "#1f77b4", "shm-map": "#2ca02c",
                   "socket-manager": "#ff7f0e", "queue-passing": "#9467bd", "redis": "#d62728",
                   "py-lmdb": "#8c564b"}
STRATEGY_MARKERS = {"null": "o", "mmap-table": "s", "shm-map": "^", "socket-manager": "D",
                    "queue-passing": "v", "redis": "P", "py-lmdb": "X"}
PYTHON_PEER_OF = {"py-null": "null", "py-mmap-dict": "mmap-table", "py-value-array": "shm-map",
                  "py-manager": "socket-manager", "py-queue": "queue-passing", "py-redis": "redis"}
PYTHON_PEER_SHADE = 0.4
# Any other name (a python:PATH module, a strategy added later) by a hash of the name.
EXTRA_COLORS = ("#e377c2", "#bcbd22", "#17becf", "#393b79", "#637939", "#7b4173", "#e7ba52")
EXTRA_MARKERS = ("<", ">", "*", "h", "p", "d")
# A variant (socket-manager[uds], socket-manager:zmq) keeps its base's colour family: a shade
# of it, mixed towards black (< 0) or white (> 0), and a marker of its own, both by a hash of
# the variant's name (uds in [uds] or :uds).
VARIANT_SHADES = (-0.35, 0.3, -0.2, 0.15, -0.5)
PYTHON_NOTE = "dashed, hollow: Python mechanism"


class ReportError(Exception):
    """A report that cannot be plotted; the message says why, in one line."""


# ---------------------------------------------------------------------------------------------
# Reading reports


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _binary_size(n):
    """A value size as a cell name writes it: 32, 1K, 64K, 1M (K = 1024)."""
    for scale, suffix in ((1 << 20, "M"), (1 << 10, "K")):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{suffix}"
    return str(n)


def _decimal_count(n):
    """A key count as a cell name writes it: 500, 1K, 1M (K = 1000)."""
    for scale, suffix in ((10 ** 6, "M"), (10 ** 3, "K")):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{suffix}"
    return str(n)


def _bytes(n):
    """A size in bytes for axes and captions: 32 B, 1 KiB, 64 KiB, 1.5 MiB."""
    for scale, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.3g} B"


def _dimension_text(field, value):
    return f"value {_bytes(value)}" if field == "value_size" else f"keys {_si(value)}"


# The dimensions a sweep varies beside strategy, workload and procs: the entry field, and its
# form in a cell name (shm-map/read/procs:2/value:64K/keys:1M).
SWEEP_DIMENSIONS = (("value_size", "value", _binary_size), ("keys", "keys", _decimal_count))


class Cell:
    """One cell of a report (strategy/workload/procs, and in a sweep its value size and key
    count): its repetitions and aggregates."""

    def __init__(self, strategy, workload, procs, value_size, keys):
        self.strategy, self.workload, self.procs = strategy, workload, procs
        self.value_size, self.keys = value_size, keys  # None in a report without the fields
        self.swept = ()  # the fields of SWEEP_DIMENSIONS the report varies; set by Report
        self.ok = []  # iteration entries with status ok
        self.not_ok = []  # (status, reason) of the other repetitions
        self.aggregates = {}  # aggregate_name -> entry

    @property
    def key(self):
        return (self.strategy, self.workload, self.procs, self.value_size, self.keys)

    @property
    def dimensions(self):
        """'/value:64K/keys:1M': the swept dimensions, as the cell's name ends."""
        return "".join(f"/{label}:{form(getattr(self, field))}"
                       for field, label, form in SWEEP_DIMENSIONS if field in self.swept)

    @property
    def name(self):
        return f"{self.strategy}/{self.workload}/procs:{self.procs}{self.dimensions}"

    @property
    def plottable(self):
        # Aggregates alone (--aggregates-only) only when no repetition is listed: they are
        # computed over the ok repetitions, so with repetitions listed, those decide.
        return bool(self.ok) or (not self.not_ok and "median" in self.aggregates)

    @property
    def batch(self):
        return self.ok[0].get("batch") if self.ok else None

    def summary(self, get):
        """(point, low, high) of get(entry): median and min-max of the ok repetitions, or, in
        an --aggregates-only report, the median aggregate +- the stddev aggregate."""
        if self.ok:
            values = [get(e) for e in self.ok]
            return statistics.median(values), min(values), max(values)
        median = get(self.aggregates["median"])
        stddev = get(self.aggregates["stddev"]) if "stddev" in self.aggregates else 0.0
        # A log axis cannot show a bar reaching zero: clip it at a tenth of the point.
        return median, max(median - stddev, median / 10), median + stddev

    def throughput(self):
        return self.summary(lambda e: e["items_per_second"])

    def bandwidth(self):
        return self.summary(lambda e: e["bytes_per_second"])

    def limit(self):
        """The median of the cell's limit_ops_per_second over its repetitions (each measured
        its own), or None."""
        entries = self.ok or [self.aggregates.get("median", {})]
        values = [e.get("limit_ops_per_second") for e in entries]
        values = [v for v in values if _number(v) and v > 0]
        return statistics.median(values) if values else None

    def latency(self, key):
        return self.summary(lambda e: e["latency_ns"][key])

    @property
    def from_aggregates(self):
        return not self.ok


class Report:
    def __init__(self, path, doc):
        self.path = path
        self.context = doc["context"]
        self.all_cells = {}  # Cell.key -> Cell, in report order
        for i, entry in enumerate(doc["benchmarks"]):
            self._add(i, entry)
        if not self.all_cells:
            raise ReportError("no benchmark entries to plot")
        cells = self.all_cells.values()
        self.value_sizes = sorted({c.value_size for c in cells if c.value_size is not None})
        self.key_counts = sorted({c.keys for c in cells if c.keys is not None})
        # A field is swept when some workload takes more than one value of it: a counter
        # workload's 0 keys beside read's 1M is no sweep.
        values_of = collections.defaultdict(set)  # (workload, field) -> its values
        for c in cells:
            for field in ("value_size", "keys"):
                if getattr(c, field) is not None:
                    values_of[c.workload, field].add(getattr(c, field))
        varies = {key for key, values in values_of.items() if len(values) > 1}
        self.swept = tuple(f for f in ("value_size", "keys") if any(field == f for _, field in varies))
        for c in cells:
            c.swept = self.swept
        # The charts over procs (throughput, latency) show one point of a sweep, its smallest
        # value size and key count; self.cells holds that point's cells (a workload that does
        # not vary in a field keeps its one value).
        self.point = {f: min(min(values_of[key]) for key in varies if key[1] == f) for f in self.swept}
        self.cells = {(c.strategy, c.workload, c.procs): c for c in cells
                      if all(getattr(c, f) == min(values_of[c.workload, f])
                             for f in self.swept if (c.workload, f) in varies)}
        self.strategies = _unique(c.strategy for c in cells)
        named = [w.get("name") for w in self._settings_workloads()]
        present = _unique(c.workload for c in cells)
        self.workloads = [w for w in named if w in present] + [w for w in present if w not in named]
        self.procs = sorted({c.procs for c in cells})

    def point_text(self):
        """'value 32 B, keys 1k': the sweep point self.cells shows; '' outside a sweep."""
        return ", ".join(_dimension_text(f, v) for f, v in self.point.items())

    def _settings_workloads(self):
        settings = self.context.get("settings")
        workloads = settings.get("workloads") if isinstance(settings, dict) else None
        return [w for w in workloads if isinstance(w, dict)] if isinstance(workloads, list) else []

    def _add(self, i, entry):
        where = f"benchmarks[{i}]"
        if not isinstance(entry, dict):
            raise ReportError(f"{where} is not an object")
        if isinstance(entry.get("name"), str):
            where += f" ({entry['name']})"

        def need(field, check, what):
            if field not in entry or not check(entry[field]):
                raise ReportError(f"{where}: {field} is missing or not {what}")
            return entry[field]

        strategy = need("strategy", lambda v: isinstance(v, str) and v, "a name")
        workload = need("workload", lambda v: isinstance(v, str) and v, "a name")
        procs = need("procs", lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
                     "a positive integer")
        run_type = need("run_type", lambda v: v in ("iteration", "aggregate"),
                        "iteration or aggregate")
        value_size = keys = None
        if "value_size" in entry or "keys" in entry:  # reports before sweeps have neither
            value_size = need("value_size", lambda v: _count(v) and v > 0, "a positive integer")
            keys = need("keys", _count, "a non-negative integer")
        cell = Cell(strategy, workload, procs, value_size, keys)
        cell = self.all_cells.setdefault(cell.key, cell)

        def rates():
            need("items_per_second", _number, "a number")
            if value_size is not None:
                need("bytes_per_second", _number, "a number")

        if run_type == "aggregate":
            kind = need("aggregate_name", lambda v: isinstance(v, str), "a name")
            if kind in ("median", "stddev"):
                rates()
                need("latency_ns", lambda v: isinstance(v, dict)
                     and all(_number(v.get(k)) for k, _ in PERCENTILES), "p50/p99/p999 numbers")
                cell.aggregates[kind] = entry
            return
        status = need("status", lambda v: v in ("ok", "skipped", "failed"), "ok, skipped or failed")
        if status == "ok":
            rates()
            need("latency_ns", lambda v: isinstance(v, dict)
                 and all(_number(v.get(k)) for k, _ in PERCENTILES), "p50/p99/p999 numbers")
            cell.ok.append(entry)
        else:
            reason = entry.get("reason") or entry.get("error_message") or ""
            cell.not_ok.append((status, " ".join(str(reason).split())))

    def machine(self):
        """'CPU model, N CPUs, host H, date' from the context, for titles and captions."""
        c = self.context
        parts = [str(c.get("cpu_model") or "unknown CPU")]
        if c.get("num_cpus"):
            parts.append(f"{c['num_cpus']} CPUs")
        if c.get("host_name"):
            parts.append(f"host {c['host_name']}")
        parts.append(_date(c.get("date")))
        notes = []
        if c.get("build_type") and str(c["build_type"]).lower() != "release":
            notes.append(f"{c['build_type']} build")
        if c.get("sanitizers"):
            notes.append(f"sanitizers {c['sanitizers']}")
        if c.get("partial"):
            notes.append("partial run (interrupted)")
        load = c.get("load")
        if isinstance(load, dict) and load.get("mode") == "open":
            notes.append(f"open loop at {_si(load.get('target_ops_per_second') or 0)} ops/s")
        return ", ".join(parts) + "".join(f" [{n}]" for n in notes)

    def num_cpus(self):
        n = self.context.get("num_cpus")
        return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def _unique(items):
    return list(dict.fromkeys(items))


def _date(value):
    if not isinstance(value, str) or not value:
        return "undated"
    try:
        d = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " UTC" if d.utcoffset() == datetime.timedelta(0) else d.strftime(" %z")
    return d.strftime("%Y-%m-%d %H:%M") + zone


def load_report(path):
    """The Report in path; ReportError (one line) if it cannot be read or is not a report."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ReportError(f"cannot read: {e.strerror or e}") from None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ReportError(f"not JSON: {' '.join(str(e).split())}") from None
    if not isinstance(doc, dict):
        raise ReportError("not a sharebench report: the top level is not an object")
    context = doc.get("context")
    if not isinstance(context, dict) or "sharebench_schema_version" not in context:
        raise ReportError("not a sharebench report: no context.sharebench_schema_version")
    if not isinstance(doc.get("benchmarks"), list):
        raise ReportError("not a sharebench report: no benchmarks array")
    return Report(path, doc)


# ---------------------------------------------------------------------------------------------
# Text


def _si(x):
    """12.3M, 450k, 7: ops/s in few characters."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def _byte_rate(x):
    """Bytes/s in decimal units, as rates are written: 950 MB/s, 12 GB/s."""
    for scale, unit in ((1e12, "TB/s"), (1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s")):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} B/s"


def _duration(ns):
    """A latency in ns as 250 ns, 1.5 µs, 20 ms."""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def _procs_list(procs):
    return ",".join(str(p) for p in sorted(procs))


def _cell_list(cells, limit=None):
    """'s/w procs:1,2,4; s/w/value:1M procs:8': cells grouped by all but procs."""
    groups = {}
    for c in cells:
        groups.setdefault(f"{c.strategy}/{c.workload}{c.dimensions}", []).append(c.procs)
    items = [f"{where} procs:{_procs_list(p)}" for where, p in groups.items()]
    if limit is not None and len(items) > limit:
        items = items[:limit] + [f"and {len(items) - limit} more (listed on stdout)"]
    return "; ".join(items)


def _shorten(text, width=110):
    return text if len(text) <= width else text[: width - 1] + "…"


def not_ok_notes(report, cells):
    """Footnotes for the skipped and failed repetitions among cells: one line per status,
    e.g. 'skipped: mmap-table/mixed (strategy does not support put (immutable))'; a strategy
    none of whose cells ran, all for one reason, is named once: 'skipped: redis (no server)'."""
    all_procs, strategy_procs = {}, {}
    for c in report.all_cells.values():
        all_procs.setdefault((c.strategy, c.workload, c.dimensions), set()).add(c.procs)
        strategy_procs.setdefault(c.strategy, set()).add(c.procs)
    cells_of = {}
    for c in cells:
        cells_of.setdefault(c.strategy, []).append(c)
    whole = {}  # strategy -> its one (status, reason), if none of its cells ran
    for strategy, its in cells_of.items():
        kinds = {kind for c in its for kind in c.not_ok}
        if len(kinds) == 1 and not any(c.ok for c in its):
            whole[strategy] = kinds.pop()
    groups = {}  # (status, strategy, workload, reason, partial text) -> [procs]
    for c in cells:
        if c.strategy in whole:
            continue
        by_status = {}
        for status, reason in c.not_ok:
            by_status.setdefault((status, reason), 0)
            by_status[(status, reason)] += 1
        total = len(c.ok) + len(c.not_ok)
        for (status, reason), n in by_status.items():
            partial = f"{n} of {total} repetitions" if c.ok else ""
            key = (status, c.strategy, c.workload, c.dimensions, reason, partial)
            groups.setdefault(key, []).append(c.procs)
    lines = {}

    def note(status, where, reason):
        lines.setdefault(status, []).append(f"{where} ({_shorten(reason or 'no reason given')})")

    for strategy, (status, reason) in whole.items():
        procs = {c.procs for c in cells_of[strategy]}
        note(status, strategy if procs == strategy_procs[strategy]
             else f"{strategy} procs:{_procs_list(procs)}", reason)
    for (status, strategy, workload, dimensions, reason, partial), procs in groups.items():
        where = f"{strategy}/{workload}{dimensions}"
        if set(procs) != all_procs[(strategy, workload, dimensions)]:
            where += f" procs:{_procs_list(procs)}"
        if partial:
            where += f", {partial}"
        note(status, where, reason)
    out = []
    for status, label in (("skipped", "skipped"), ("failed", "failed")):
        if status in lines:
            out.append(f"{label}: " + "; ".join(lines[status]))
    return out


# ---------------------------------------------------------------------------------------------
# Charts


class NoMatplotlib(Exception):
    """matplotlib cannot be imported by this python; the message says which python to use."""


def _no_matplotlib(detail=None):
    here = sys.executable or "this python"
    what = (f"matplotlib is not installed for {here}" if detail is None
            else f"matplotlib cannot be imported by {here} ({detail})")
    if os.path.realpath(here) == os.path.realpath(DEBIAN_PYTHON):
        return NoMatplotlib(f"{what}; install Debian's python3-matplotlib "
                            f"(apt-get install python3-matplotlib)")
    return NoMatplotlib(f"{what}; run it with {DEBIAN_PYTHON} (Debian's python3-matplotlib)")


def require_matplotlib():
    """NoMatplotlib unless this python can find matplotlib: checked before any work, without
    the seconds importing it takes."""
    if importlib.util.find_spec("matplotlib") is None:
        raise _no_matplotlib()


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:  # found but broken, e.g. a dependency missing
        raise _no_matplotlib(" ".join(str(e).split())) from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8,
        "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6,
        "svg.hashsalt": "sharebench",  # stable element ids: SVGs diff cleanly
    })
    return plt


def _log_formatter(to_text):
    from matplotlib import ticker

    class Formatter(ticker.LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return to_text(x)

    return Formatter


def _log_axis(axis, to_text):
    from matplotlib import ticker

    Formatter = _log_formatter(to_text)
    axis.set_major_formatter(Formatter(labelOnlyBase=False))
    axis.set_minor_formatter(Formatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    axis.set_minor_locator(ticker.LogLocator(subs=(2, 5)))


CAPTION_LEFT = 0.01  # figure fraction; the caption keeps as much room on the right


def wrap_caption(paragraphs, chars):
    lines = []
    for p in paragraphs:
        lines.extend(textwrap.wrap(p, chars, subsequent_indent="  ") or [""])
    return "\n".join(lines)


def _caption(fig, paragraphs):
    """The paragraphs under the figure, wrapped to its width as rendered (a guess from the font
    size alone runs off the edge when the figure is narrow or the text wide); returns the Text.
    """
    text = fig.supxlabel("", x=CAPTION_LEFT, ha="left", fontsize=7.5, linespacing=1.4)
    renderer = fig.canvas.get_renderer()
    room = fig.bbox.width * (1 - 2 * CAPTION_LEFT)
    chars = max(40, int(fig.get_figwidth() * 72 / (7.5 * 0.45)))  # generous: narrowed below
    while True:
        text.set_text(wrap_caption(paragraphs, chars))
        if text.get_window_extent(renderer).width <= room or chars <= 20:
            return text
        chars = max(20, int(chars * 0.93))


StrategyStyle = collections.namedtuple("StrategyStyle", "color marker linestyle python")


def is_python(strategy):
    """A Python mechanism: a built-in peer (py-*) or a user module (python:PATH)."""
    return strategy.startswith(("py-", "python:"))


def _stable_hash(text):
    return zlib.crc32(text.encode())  # unlike hash(), the same in every process


def split_variant(strategy):
    """'socket-manager[uds]' -> ('socket-manager', '[uds]'), 'socket-manager:zmq' ->
    ('socket-manager', ':zmq'); a python:PATH module is a name of its own."""
    if strategy.startswith("python:"):
        return strategy, ""
    base, variant = re.match(r"([^\[:]*)(.*)", strategy).groups()
    return (base, variant) if base else (strategy, "")


def _shade(color, amount):
    """#rrggbb mixed towards white (amount > 0) or black (amount < 0)."""
    target = 255 if amount > 0 else 0
    channels = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (target - c) * abs(amount)):02x}" for c in channels)


@functools.lru_cache(maxsize=None)
def strategy_style(strategy):
    """The colour, marker and line style of strategy in every chart (a function of its name
    alone); Python mechanisms dashed with hollow markers."""
    base, variant = split_variant(strategy)
    peer = PYTHON_PEER_OF.get(base)
    if peer:
        color, marker = _shade(STRATEGY_COLORS[peer], PYTHON_PEER_SHADE), STRATEGY_MARKERS[peer]
    else:
        color = STRATEGY_COLORS.get(base, EXTRA_COLORS[_stable_hash(base) % len(EXTRA_COLORS)])
        marker = STRATEGY_MARKERS.get(base, EXTRA_MARKERS[_stable_hash(base) % len(EXTRA_MARKERS)])
    if variant:
        key = _stable_hash(variant.strip("[]:"))
        color = _shade(color, VARIANT_SHADES[key % len(VARIANT_SHADES)])
        marker = EXTRA_MARKERS[key % len(EXTRA_MARKERS)]
    python = is_python(strategy)
    return StrategyStyle(color, marker, "--" if python else "-", python)


def _marker_face(style):
    return "white" if style.python else style.color


def _legend_handles(plt, strategies):
    """One legend line per strategy, styled as its line is drawn."""
    handles = []
    for s in strategies:
        style = strategy_style(s)
        handles.append(plt.Line2D([], [], color=style.color, marker=style.marker, lw=1.5,
                                  ls=style.linestyle, markerfacecolor=_marker_face(style),
                                  markeredgewidth=1.3))
    return handles


def _python_note_handle(plt, line):
    return plt.Line2D([], [], color="0.35", marker="o", markerfacecolor="white",
                      ls="--" if line else "none", lw=1.5, markersize=5)


# A chart: its figure, the legend a reader decodes it with, the caption's Text, and (change
# chart) lines for stdout.
Chart = collections.namedtuple("Chart", "figure legend caption notes", defaults=((),))


def drawn_strategies(cells):
    """The strategies of cells with something to draw, in order: a strategy that was skipped
    or failed in every one of them has no place in a legend (the caption names it)."""
    return _unique(c.strategy for c in cells if c.plottable)


def _spread_text(cells):
    reps = sorted({len(c.ok) for c in cells if c.ok})
    parts = []
    if reps and reps != [1]:
        n = "/".join(str(r) for r in reps)
        parts.append(f"Points: median of the {n} repetitions that ran ok; bars: their min–max.")
    elif reps:
        parts.append("One repetition per cell: no error bars.")
    if any(c.from_aggregates and c.plottable for c in cells):
        parts.append("Cells with aggregates only (--aggregates-only): median aggregate ± one "
                     "stddev, clipped at a tenth of the point on the log axis.")
    return " ".join(parts)


def _oversubscribed(ax, report, procs):
    """Shades procs above the report's online CPUs; True if it did."""
    n = report.num_cpus()
    over = [p for p in procs if n and p > n]
    if not over:
        return False
    under = [p for p in procs if p <= n]
    start = math.sqrt(max(under) * min(over)) if under else min(over) / 1.3
    ax.axvspan(start, max(procs) * 2, color="0.85", alpha=0.5, lw=0, zorder=0)
    return True


def plot_throughput(plt, report):
    workloads = report.workloads
    width = 1.2 + 4.0 * len(workloads) + 1.9
    fig, axes = plt.subplots(1, len(workloads), figsize=(width, 4.9), sharey=True,
                             squeeze=False, layout="constrained")
    axes = axes[0]
    procs = report.procs
    shaded = False
    has_limits = False
    for ax, workload in zip(axes, workloads):
        for strategy in report.strategies:
            cells = [report.cells.get((strategy, workload, p)) for p in procs]
            cells = [c for c in cells if c is not None and c.plottable]
            if not cells:
                continue
            x = [c.procs for c in cells]
            points = [c.throughput() for c in cells]
            y = [p for p, _, _ in points]
            err = [[p - lo for p, lo, _ in points], [hi - p for p, _, hi in points]]
            style = strategy_style(strategy)
            ax.errorbar(x, y, yerr=err, label=strategy, color=style.color, marker=style.marker,
                        markerfacecolor=_marker_face(style), markeredgewidth=1.3,
                        ls=style.linestyle, markersize=5, capsize=3, lw=1.5)
            limits = [(c.procs, c.limit()) for c in cells if c.limit()]
            if limits:  # each cell's ceiling, a dash in its strategy's colour
                ax.scatter([p for p, _ in limits], [v for _, v in limits], marker="_", s=220,
                           color=style.color, linewidths=2, zorder=3)
                has_limits = True
        shaded |= _oversubscribed(ax, report, procs)
        ax.set_title(workload)
        ax.set_xscale("log", base=2)
        ax.set_xticks(procs, [str(p) for p in procs])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.set_xlim(min(procs) / 1.35, max(procs) * 1.35)
        ax.set_xlabel("worker processes (procs)")
        ax.set_yscale("log")
        _log_axis(ax.yaxis, _si)
    axes[0].set_ylabel("throughput, ops/s (all workers, log scale)")
    cells = list(report.cells.values())
    drawn = drawn_strategies(cells)
    handles = _legend_handles(plt, drawn)
    labels = list(drawn)
    if has_limits:
        handles.append(plt.Line2D([], [], color="0.3", marker="_", markersize=12, lw=0, markeredgewidth=2))
        labels.append("limit: the mechanism's floor,\nmeasured in the same run")
    if any(is_python(s) for s in drawn):
        handles.append(_python_note_handle(plt, line=True))
        labels.append(PYTHON_NOTE)
    if shaded:
        handles.append(plt.Rectangle((0, 0), 1, 1, color="0.85", alpha=0.5, lw=0))
        labels.append(f"procs > {report.num_cpus()} CPUs\n(workers time-share)")
    legend = axes[-1].legend(handles, labels, title="strategy", loc="upper left",
                             bbox_to_anchor=(1.03, 1.0), frameon=False)
    fig.suptitle(f"sharebench: throughput vs worker processes{_at_point(report)} — "
                 f"{os.path.basename(report.path)}\n{report.machine()}", fontsize=11)
    caption = [_spread_text(cells) + " Ops/s count every operation of every worker in the "
               "common measured window; skipped and failed cells are not drawn."]
    caption += _point_note(report)
    caption += not_ok_notes(report, cells)
    return Chart(fig, legend, _caption(fig, caption))


def _at_point(report, joiner=" at"):
    return f"{joiner} {report.point_text()}" if report.point else ""


def _point_note(report):
    """The caption's line on the one point of a sweep a chart over procs shows."""
    if not report.point:
        return []
    names = sweep_chart_names(report)
    files = " and ".join(f"{name}.png" for name in names)
    return [f"The report sweeps {' and '.join(SWEEP_NOUNS[f] for f in report.swept)}: this "
            f"chart shows its smallest, {report.point_text()}; {files} "
            f"show{'s' if len(names) == 1 else ''} all of it."]


def pick_procs(report, wanted):
    """The procs the latency chart shows: wanted, or the largest in the report."""
    if wanted is None:
        return max(report.procs)
    if wanted not in report.procs:
        raise ReportError(f"--procs {wanted}: not in the report "
                          f"(procs: {_procs_list(report.procs)})")
    return wanted


def plot_latency(plt, report, procs):
    from matplotlib import transforms

    workloads = report.workloads
    cells = [c for c in report.cells.values() if c.procs == procs]
    strategies = drawn_strategies(cells)
    width = 1.2 + max(3.2, 0.6 * len(strategies)) * len(workloads) + 1.6
    fig, axes = plt.subplots(1, len(workloads), figsize=(width, 4.9), sharey=True,
                             squeeze=False, layout="constrained")
    axes = axes[0]
    offsets = {key: (i - (len(PERCENTILES) - 1) / 2) * 0.24 for i, (key, _) in
               enumerate(PERCENTILES)}
    shapes = dict(zip((k for k, _ in PERCENTILES), ("o", "^", "s")))
    batches = {}
    for ax, workload in zip(axes, workloads):
        for x, strategy in enumerate(strategies):
            cell = report.cells.get((strategy, workload, procs))
            if cell is None or not cell.plottable:
                text = "not run" if cell is None else (cell.not_ok[0][0] if cell.not_ok else "")
                ax.text(x, 0.5, text, rotation=90, ha="center", va="center", color="0.45",
                        fontsize=8, transform=transforms.blended_transform_factory(
                            ax.transData, ax.transAxes))
                continue
            if cell.batch:
                batches.setdefault(strategy, set()).add(cell.batch)
            style = strategy_style(strategy)
            for key, _ in PERCENTILES:
                p, lo, hi = cell.latency(key)
                ax.errorbar([x + offsets[key]], [p], yerr=[[p - lo], [hi - p]],
                            label=f"{strategy} {key}", color=style.color, marker=shapes[key],
                            markerfacecolor=_marker_face(style), markeredgewidth=1.3,
                            markersize=6, capsize=2.5, lw=1.2, ls="none")
        ax.set_title(workload)
        ax.set_xlim(-0.6, max(len(strategies), 1) - 0.4)
        ax.grid(False, axis="x")
        ax.set_yscale("log")
        _log_axis(ax.yaxis, _duration)
    for ax in axes:
        labels = []
        for s in strategies:
            b = batches.get(s)
            labels.append(s + (f"\nbatch {_procs_list(b)}" if b and b != {1} else ""))
        ax.set_xticks(range(len(strategies)), labels, rotation=30, ha="right",
                      rotation_mode="anchor")
        for tick, s in zip(ax.get_xticklabels(), strategies):
            tick.set_color(strategy_style(s).color)
            if is_python(s):
                tick.set_fontstyle("italic")
    axes[0].set_ylabel("latency (log scale)")
    handles = [plt.Line2D([], [], color="0.2", marker=shapes[k], ls="none", markersize=6)
               for k, _ in PERCENTILES]
    labels = [label for _, label in PERCENTILES]
    if any(is_python(s) for s in strategies):
        handles.append(_python_note_handle(plt, line=False))
        labels.append("hollow, italic: Python\nmechanism")
    legend = axes[-1].legend(handles, labels, title="percentile", loc="upper left",
                             bbox_to_anchor=(1.03, 1.0), frameon=False)
    over = report.num_cpus() and procs > report.num_cpus()
    fig.suptitle(f"sharebench: latency at procs {procs}{_at_point(report, ',')} — "
                 f"{os.path.basename(report.path)}\n{report.machine()}", fontsize=11)
    caption = [_spread_text(cells) +
               " A batched client (batch > 1, under its name) is timed per batch: the latency "
               "is the batch's completion time. Percentiles come from each cell's histogram "
               "of sampled batches, merged across workers."]
    if over:
        caption.append(f"procs {procs} > {report.num_cpus()} online CPUs: workers time-share "
                       "cores, and the tail includes waiting for a CPU.")
    caption += _point_note(report)
    caption += not_ok_notes(report, cells)
    return Chart(fig, legend, _caption(fig, caption))


# ---------------------------------------------------------------------------------------------
# Sweeps: ops/s and bytes/s against value size, ops/s against key count


SWEEP_NOUNS = {"value_size": "value size", "keys": "key count"}
# (file name, swept field, measure) of the charts a sweep adds.
SWEEP_CHARTS = (("value-size", "value_size", "ops"), ("value-size-bytes", "value_size", "bytes"),
                ("keys", "keys", "ops"))

# The working set of a key count, to mark where it outgrows each cache: every key holds its
# value, its key (the decimal numbers 0, 2, 4, ...: at most 8 digits below 50M keys) and about
# 32 bytes of index and entry header (shm-map: a 16-byte slot at 3/4 load and a 16-byte entry
# header; mmap-table: a slot and an 8-byte record header). An estimate: strategies differ.
KEY_BYTES = 8
ENTRY_OVERHEAD_BYTES = 32
WORKING_SET_TEXT = (f"working set ≈ keys × (value + {KEY_BYTES} B key + "
                    f"{ENTRY_OVERHEAD_BYTES} B index and entry header)")


def keys_filling(cache_bytes, value_size):
    """The key count whose working set (WORKING_SET_TEXT) equals cache_bytes."""
    return cache_bytes / (value_size + KEY_BYTES + ENTRY_OVERHEAD_BYTES)


def sweep_chart_names(report):
    return [name for name, field, _ in SWEEP_CHARTS if field in report.swept]


def data_caches(context):
    """[(label, bytes)] of the data and unified caches of context.caches, smallest first
    ('L1d', 'L2', 'L3'); [] where the machine did not expose them."""
    caches = context.get("caches")
    found = {}
    for c in caches if isinstance(caches, list) else []:
        if not isinstance(c, dict) or c.get("type") not in ("Data", "Unified"):
            continue
        level, size = c.get("level"), c.get("size")
        if _count(level) and _count(size) and size > 0:
            found.setdefault(f"L{level}" + ("d" if c["type"] == "Data" else ""), size)
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


# A cache marked on a keys chart: its label, size and the key count that fills it (may be < 1:
# then not drawn).
CacheLine = collections.namedtuple("CacheLine", "label cache_bytes keys")
# One strategy's line in a panel: x (value sizes or key counts) ascending, the points (median)
# and their bars (min-max); skipped and failed cells are absent.
SweepSeries = collections.namedtuple("SweepSeries", "strategy x y low high")
# A panel: its title, workload, procs, the other swept dimension's value ({} if none), its
# series, its cells (drawn or not) and, against keys, its value size and cache lines.
SweepPanel = collections.namedtuple("SweepPanel",
                                    "title workload procs fixed series cells value_size "
                                    "cache_lines")


def sweep_panels(report, field, measure):
    """The panels of the chart of measure ('ops' or 'bytes' per second) against field
    ('value_size' or 'keys'): one per workload, value of the other swept dimension and procs,
    in that order."""
    other = [f for f in report.swept if f != field]
    groups = {}
    for c in report.all_cells.values():
        fixed = tuple(getattr(c, f) for f in other)
        groups.setdefault((report.workloads.index(c.workload), fixed, c.procs), []).append(c)
    caches = data_caches(report.context)
    panels = []
    for (w_index, fixed, procs), cells in sorted(groups.items()):
        workload = report.workloads[w_index]
        series = []
        for strategy in report.strategies:
            its = sorted((c for c in cells if c.strategy == strategy and c.plottable),
                         key=lambda c: getattr(c, field))
            if not its:
                continue
            points = [c.throughput() if measure == "ops" else c.bandwidth() for c in its]
            series.append(SweepSeries(strategy, [getattr(c, field) for c in its],
                                      *([p[i] for p in points] for i in range(3))))
        fixed = dict(zip(other, fixed))
        value_size = fixed.get("value_size", report.value_sizes[0]) if field == "keys" else None
        lines = ([CacheLine(label, size, keys_filling(size, value_size))
                  for label, size in caches] if value_size else [])
        title = ", ".join([workload, f"procs {procs}",
                           *(_dimension_text(f, v) for f, v in fixed.items())])
        panels.append(SweepPanel(title, workload, procs, fixed, series, cells, value_size, lines))
    return panels


def _approx_keys(n):
    return f"~{_si(round(n))} keys"


def cache_line_notes(report, panels):
    """The caption's sentences on the cache lines of a keys chart."""
    if not data_caches(report.context):
        return ["The machine did not expose its cache sizes (no context.caches): no cache "
                "lines."]

    def unbroken(text):  # the caption wraps at spaces: not inside "2 MiB" or "29.1k keys"
        return text.replace(" ", "\u00a0")

    by_value = {p.value_size: p.cache_lines for p in panels}
    parts = []
    for value_size, lines in by_value.items():
        at = [f"{c.label} ({unbroken(_bytes(c.cache_bytes))}) at {unbroken(_approx_keys(c.keys))}"
              if c.keys >= 1 else f"{c.label} ({unbroken(_bytes(c.cache_bytes))}) holds less "
              "than one entry" for c in lines]
        parts.append(f"value {unbroken(_bytes(value_size))}: " + ", ".join(at))
    return [f"Dotted lines: the key count whose working set fills a cache, {WORKING_SET_TEXT}, "
            "an estimate; " + "; ".join(parts) + "."]


def _swept_axis(plt, ax, field, values):
    if field == "value_size":
        ax.set_xscale("log", base=2)
        ax.set_xticks(values, [_bytes(v) for v in values])
        ax.set_xlabel("value size (log scale)")
    else:
        ax.set_xscale("log")
        ax.set_xticks(values, [_si(v) for v in values])
        ax.set_xlabel("keys (log scale)")
    ax.xaxis.set_minor_locator(plt.NullLocator())
    if len(values) > 4:
        ax.tick_params(axis="x", labelrotation=35)


def plot_sweep(plt, report, field, measure):
    panels = sweep_panels(report, field, measure)
    rows = _unique((p.workload, tuple(p.fixed.values())) for p in panels)
    columns = sorted({p.procs for p in panels})
    width = 1.2 + 3.4 * len(columns) + 2.3
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(width, 1.6 + 2.8 * len(rows)),
                             sharey=True, squeeze=False, layout="constrained")
    values = sorted({getattr(c, field) for c in report.all_cells.values()})
    shown = [c.keys for p in panels for c in p.cache_lines if c.keys >= 1]
    low, high = min(values + shown), max(values + shown)
    for ax in axes.flat:
        ax.set_visible(False)
    for panel in panels:
        ax = axes[rows.index((panel.workload, tuple(panel.fixed.values()))),
                  columns.index(panel.procs)]
        ax.set_visible(True)
        for s in panel.series:
            style = strategy_style(s.strategy)
            err = [[y - lo for y, lo in zip(s.y, s.low)], [hi - y for y, hi in zip(s.y, s.high)]]
            ax.errorbar(s.x, s.y, yerr=err, label=s.strategy, color=style.color,
                        marker=style.marker, markerfacecolor=_marker_face(style),
                        markeredgewidth=1.3, ls=style.linestyle, markersize=5, capsize=3, lw=1.5)
        for line in panel.cache_lines:
            if line.keys >= 1:
                ax.axvline(line.keys, color="0.4", ls=":", lw=1.2, zorder=1)
                ax.text(line.keys, 0.02, f" {line.label}", transform=ax.get_xaxis_transform(),
                        ha="left", va="bottom", fontsize=7, color="0.3")
        ax.set_title(panel.title)
        _swept_axis(plt, ax, field, values)
        ax.set_xlim(low / 1.5, high * 1.5)
        ax.set_yscale("log")
        _log_axis(ax.yaxis, _si if measure == "ops" else _byte_rate)
    for row in axes:
        row[0].set_ylabel("ops/s (all workers, log scale)" if measure == "ops"
                          else "bytes/s (all workers, log scale)")
    drawn = _unique(s.strategy for p in panels for s in p.series)
    handles = _legend_handles(plt, drawn)
    labels = list(drawn)
    if any(is_python(s) for s in drawn):
        handles.append(_python_note_handle(plt, line=True))
        labels.append(PYTHON_NOTE)
    if shown:
        handles.append(plt.Line2D([], [], color="0.4", ls=":", lw=1.2))
        labels.append("working set fills\nthis cache (estimate)")
    legend = axes[0, -1].legend(handles, labels, title="strategy", loc="upper left",
                                bbox_to_anchor=(1.03, 1.0), frameon=False)
    what = "ops/s" if measure == "ops" else "bytes/s"
    fig.suptitle(f"sharebench: {what} vs {SWEEP_NOUNS[field]} — "
                 f"{os.path.basename(report.path)}\n{report.machine()}", fontsize=11)
    cells = [c for p in panels for c in p.cells]
    rate = ("Ops/s count every operation of every worker in the common measured window"
            if measure == "ops" else "Bytes/s is the report's bytes_per_second, all workers")
    caption = [_spread_text(cells) + f" {rate}; one panel per workload and procs; skipped and "
               "failed cells are not drawn."]
    if field == "keys":
        caption += cache_line_notes(report, panels)
    caption += not_ok_notes(report, cells)
    return Chart(fig, legend, _caption(fig, caption))


def _exact_upper_tail(n_high, n_low, u):
    """P(U >= u), U the pairs (h, l) with l < h, all orderings of the values equally likely."""
    @functools.lru_cache(maxsize=None)
    def orderings(i, j, k):  # of i highs and j lows with U = k
        if k < 0:
            return 0
        if i == 0 or j == 0:
            return 1 if k == 0 else 0
        # The largest value is a high (it beats all j lows) or a low (it beats nothing).
        return orderings(i - 1, j, k - j) + orderings(i, j - 1, k)

    tail = sum(orderings(n_high, n_low, k) for k in range(u, n_high * n_low + 1))
    return tail / math.comb(n_high + n_low, n_high)


def mann_whitney_p_lower(higher, lower):
    """One-sided Mann-Whitney U test, as `sharebench compare` (harness/compare.cpp) does it:
    the probability of lower lying this far below higher by chance. Exact for up to 20 a side
    without ties, else the normal approximation with tie correction."""
    u = sum(1.0 if l < h else 0.5 if l == h else 0.0 for h in higher for l in lower)
    values = sorted([*higher, *lower])
    ties = len(set(values)) < len(values)
    n1, n2 = len(higher), len(lower)
    if not ties and n1 <= 20 and n2 <= 20:
        return _exact_upper_tail(n1, n2, int(u))
    n = n1 + n2
    tie_term = sum(t ** 3 - t for t in collections.Counter(values).values())
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


MIN_JUDGED_REPETITIONS = 3  # a side; with fewer, even a total separation is not significant
ALPHA = 0.05
SIGNIFICANT, NOISE, NOT_JUDGED = "significant", "noise", "not judged"

# A cell ok in both reports: % change of median ops/s, its min-max range (None without
# repetitions on both sides), the verdict, and the fewer repetitions of the two sides (0: an
# --aggregates-only report, its median alone).
ChangeRow = collections.namedtuple("ChangeRow", "name strategy change low high verdict repetitions")


def judge_change(before_rates, after_rates):
    """SIGNIFICANT when both sides have MIN_JUDGED_REPETITIONS and the rank test says the
    change is beyond their spread at ALPHA; NOISE when it does not; NOT_JUDGED with fewer."""
    if min(len(before_rates), len(after_rates)) < MIN_JUDGED_REPETITIONS:
        return NOT_JUDGED
    if statistics.median(after_rates) >= statistics.median(before_rates):
        p = mann_whitney_p_lower(after_rates, before_rates)
    else:
        p = mann_whitney_p_lower(before_rates, after_rates)
    return SIGNIFICANT if p <= ALPHA else NOISE


def compare(before, after):
    """Cells ok in both, as ChangeRows sorted by change; and lists of the cells that could
    not be compared."""
    # Cells match by all their dimensions; a report from before sweeps (no value_size and keys
    # fields) matches a report that does not sweep by strategy, workload and procs alone.
    loose = bool(before.value_sizes) != bool(after.value_sizes) and not (before.swept
                                                                         or after.swept)

    def key_of(cell):
        return cell.key[:3] if loose else cell.key

    after_cells = {key_of(c): c for c in after.all_cells.values()}
    rows, only_before, not_ok = [], [], []
    for b in before.all_cells.values():
        a = after_cells.pop(key_of(b), None)
        if a is None:
            only_before.append(b)
        elif not (a.plottable and b.plottable):
            not_ok.append(b)
        else:
            (bp, blo, bhi), (ap, alo, ahi) = b.throughput(), a.throughput()
            if bp <= 0:
                not_ok.append(b)
                continue
            # Aggregates-only cells count as one sample a side, as in sharebench compare.
            before_rates = [e["items_per_second"] for e in b.ok]
            after_rates = [e["items_per_second"] for e in a.ok]
            low = high = None
            if len(before_rates) > 1 and len(after_rates) > 1 and blo > 0:
                low, high = (alo / bhi - 1) * 100, (ahi / blo - 1) * 100
            rows.append(ChangeRow(b.name, b.strategy, (ap / bp - 1) * 100, low, high,
                                  judge_change(before_rates, after_rates),
                                  min(len(before_rates), len(after_rates))))
    only_after = list(after_cells.values())
    rows.sort(key=lambda r: (r.change, r.name))
    return rows, only_before, only_after, not_ok


def _counts(rows):
    return "/".join(str(n) for n in sorted({r.repetitions for r in rows}))


def certainty_rule(rows):
    """The caption's sentence on how sure each bar is, for the verdicts among rows."""
    by = {v: [r for r in rows if r.verdict == v] for v in (SIGNIFICANT, NOISE, NOT_JUDGED)}
    test = (f"one-sided Mann–Whitney U test, p ≤ {ALPHA:g}, the test sharebench compare uses; "
            f"it needs ≥ {MIN_JUDGED_REPETITIONS} repetitions a side")
    parts = []
    if by[SIGNIFICANT]:
        parts.append(f"solid: significant over {_counts(by[SIGNIFICANT])} repetitions a side")
    if by[NOISE]:
        parts.append(f"faded: not significant over {_counts(by[NOISE])} repetitions a side "
                     "(within run-to-run spread)")
    if by[NOT_JUDGED]:
        few = sorted({r.repetitions for r in by[NOT_JUDGED]})
        what = [{0: "aggregates only", 1: "single repetition"}.get(n, f"{n} repetitions on a side")
                for n in few]
        parts.append(f"hatched and faded: {' or '.join(what)}, not judged")
    return "Certainty (" + test + "): " + "; ".join(parts) + "."


def _change_bar_style(verdict, color):
    from matplotlib import colors

    fill = {SIGNIFICANT: 1.0, NOISE: 0.35, NOT_JUDGED: 0.2}[verdict]
    return dict(facecolor=colors.to_rgba(color, fill), edgecolor=color,
                hatch="////" if verdict == NOT_JUDGED else None,
                linewidth=0.8 if verdict == NOT_JUDGED else 0)


def plot_change(plt, before, after):
    rows, only_before, only_after, not_ok = compare(before, after)
    width = 10.0
    fig, ax = plt.subplots(figsize=(width, 2.6 + 0.24 * max(len(rows), 4)), layout="constrained")
    legend = None
    if rows:
        for i, r in enumerate(rows):
            color = GAIN if r.change > 0 else LOSS if r.change < 0 else "0.5"
            ax.barh(i, r.change, height=0.7, label=r.name, **_change_bar_style(r.verdict, color))
            if r.low is not None:
                ax.errorbar([r.change], [i], xerr=[[r.change - r.low], [r.high - r.change]],
                            color="0.25", lw=0.9, capsize=2.5, ls="none")
        ax.set_yticks(range(len(rows)), [r.name for r in rows], fontsize=8)
        for tick, r in zip(ax.get_yticklabels(), rows):
            tick.set_color(strategy_style(r.strategy).color)
            if is_python(r.strategy):
                tick.set_fontstyle("italic")
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ends = [(max(r.change, r.high or r.change) if r.change >= 0
                 else min(r.change, r.low or r.change)) for r in rows]
        span = max(abs(v) for v in ends) or 1.0
        for i, (r, end) in enumerate(zip(rows, ends)):
            ax.text(end + (0.012 * span if r.change >= 0 else -0.012 * span), i,
                    f"{r.change:+.1f}%", va="center", ha="left" if r.change >= 0 else "right",
                    fontsize=7.5)
        low, high = min(min(ends), 0), max(max(ends), 0)
        pad = 0.16 * max(high - low, 1.0)  # room for the labels on both sides
        ax.set_xlim(low - pad, high + pad)
        labels = {SIGNIFICANT: "significant", NOISE: "not significant",
                  NOT_JUDGED: "not judged (too few\nrepetitions)"}
        present = [v for v in labels if any(r.verdict == v for r in rows)]
        handles = [plt.Rectangle((0, 0), 1, 1, **_change_bar_style(v, "0.4")) for v in present]
        legend = ax.legend(handles, [labels[v] for v in present], title="change",
                           loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    else:
        ax.text(0.5, 0.5, "no cell ran ok in both reports", ha="center", va="center",
                transform=ax.transAxes, color="0.4")
        ax.set_yticks([])
    ax.axvline(0, color="0.2", lw=0.8)
    ax.grid(False, axis="y")
    ax.set_xlabel("change of ops/s, % (after / before − 1)")
    fig.suptitle(f"sharebench: ops/s change per cell, {os.path.basename(before.path)} → "
                 f"{os.path.basename(after.path)}", fontsize=11)
    caption = [f"before: {before.path} — {before.machine()}",
               f"after: {after.path} — {after.machine()}"]
    b_cpu = (before.context.get("cpu_model"), before.context.get("num_cpus"))
    a_cpu = (after.context.get("cpu_model"), after.context.get("num_cpus"))
    if b_cpu != a_cpu:
        caption.append("The reports come from different machines: a change mixes the code's "
                       "and the machine's.")
    caption.append("Each cell's ops/s is the median of its repetitions that ran ok. Green: "
                   "faster, red: slower."
                   + (" A whisker spans the change between the two runs' min–max ranges."
                      if any(r.low is not None for r in rows) else "")
                   + " Names in their strategy's colour"
                   + ("; italic: Python mechanism." if any(is_python(r.strategy) for r in rows)
                      else "."))
    if rows:
        caption.append(certainty_rule(rows))
    for label, keys in (("only in before", only_before), ("only in after", only_after),
                        ("not compared (skipped or failed)", not_ok)):
        if keys:
            caption.append(f"{label}: {_cell_list(keys, limit=8)}")
    notes = [f"{label}: {_cell_list(keys)}" for label, keys in
             (("only in before", only_before), ("only in after", only_after),
              ("not compared (skipped or failed)", not_ok)) if keys]
    return Chart(fig, legend, _caption(fig, caption), notes)


# ---------------------------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"{PROG}: {message} (see {PROG} --help)\n")
        sys.exit(2)


def parse_args(argv):
    parser = _Parser(
        prog=PROG,
        description="Plot sharebench JSON reports: throughput.png/.svg and latency.png/.svg; "
                    "a report that sweeps value size also value-size.png/.svg (ops/s) and "
                    "value-size-bytes.png/.svg (bytes/s), one that sweeps key count also "
                    "keys.png/.svg (with the caches marked); with two reports (before after) "
                    "also change.png/.svg. Run with /usr/bin/python3 (it has matplotlib).")
    parser.add_argument("reports", nargs="+", metavar="REPORT.json",
                        help="a report; a second one is the 'after' of a before/after chart")
    parser.add_argument("-o", "--out", required=True, metavar="DIR",
                        help="directory for the charts (created if missing)")
    parser.add_argument("--procs", type=int, metavar="N",
                        help="procs of the latency chart (default: the largest in the report)")
    args = parser.parse_args(argv)
    if len(args.reports) > 2:
        parser.error(f"give one report, or two (before after), not {len(args.reports)}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        require_matplotlib()
    except NoMatplotlib as e:
        sys.stderr.write(f"{PROG}: {e}\n")
        return 2
    reports = []
    for path in args.reports:
        try:
            reports.append(load_report(path))
        except ReportError as e:
            sys.stderr.write(f"{PROG}: {path}: {e}\n")
            return 2
    for r in reports:
        version = r.context.get("sharebench_schema_version")
        if version != KNOWN_SCHEMA_VERSION:
            print(f"{PROG}: {r.path}: note: schema version {version}, written for "
                  f"{KNOWN_SCHEMA_VERSION}", file=sys.stderr)
    shown = reports[-1]
    try:
        procs = pick_procs(shown, args.procs)
    except ReportError as e:
        sys.stderr.write(f"{PROG}: {shown.path}: {e}\n")
        return 2
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        sys.stderr.write(f"{PROG}: {args.out}: cannot create the output directory: "
                         f"{e.strerror or e}\n")
        return 2

    try:
        plt = _pyplot()
    except NoMatplotlib as e:
        sys.stderr.write(f"{PROG}: {e}\n")
        return 2
    charts = [("throughput", plot_throughput(plt, shown)),
              ("latency", plot_latency(plt, shown, procs))]
    charts += [(name, plot_sweep(plt, shown, field, measure))
               for name, field, measure in SWEEP_CHARTS if field in shown.swept]
    if len(reports) == 2:
        charts.append(("change", plot_change(plt, reports[0], reports[1])))
    notes = [line for _, chart in charts for line in chart.notes]
    written = []
    for name, chart in charts:
        fig = chart.figure
        for fmt in FORMATS:
            path = os.path.join(args.out, f"{name}.{fmt}")
            try:
                fig.savefig(path, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
            except OSError as e:
                sys.stderr.write(f"{PROG}: {path}: cannot write: {e.strerror or e}\n")
                return 2
            written.append(path)
        plt.close(fig)
    for line in notes:
        print(line)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
