#!/usr/bin/python3
"""Tests of plots/plot.py: the files it promises, its errors, and what it draws from a report.

Run with /usr/bin/python3 (it has matplotlib); ctest runs it as plot_test (label unit).
Behaviour, not pixels: files exist and parse, exit codes and messages, the data summarised,
and the artists a chart is made of (colours, line styles, legend labels, caption extent),
drawn in this process from small synthetic reports.
"""

import colorsys
import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PLOT = os.path.join(ROOT, "plots", "plot.py")
FIXTURES = os.path.join(HERE, "fixtures")
REPORT_A = os.path.join(FIXTURES, "report-a.json")
REPORT_B = os.path.join(FIXTURES, "report-b.json")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

sys.dont_write_bytecode = True  # nothing left next to plot.py


def load_plot_module():
    spec = importlib.util.spec_from_file_location("plot", PLOT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plot = load_plot_module()
SCRATCH = None  # the module's scratch directory: matplotlib's config and font cache go there


def setUpModule():
    global SCRATCH
    SCRATCH = tempfile.TemporaryDirectory(prefix="plot_test-")
    os.environ["MPLCONFIGDIR"] = os.path.join(SCRATCH.name, "mpl")  # before matplotlib loads


def tearDownModule():
    SCRATCH.cleanup()


class PlotTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=SCRATCH.name)  # nothing is left in /tmp or $HOME

    def run_plot(self, *args, python=("/usr/bin/python3",)):
        return subprocess.run([*python, PLOT, *args], capture_output=True, text=True,
                              cwd=self.tmp, timeout=120)

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        with open(path, "w" if isinstance(content, str) else "wb") as f:
            f.write(content)
        return path

    def assert_charts(self, out, names, stdout):
        listed = [line for line in stdout.splitlines() if line.endswith((".png", ".svg"))]
        expected = [os.path.join(out, f"{n}.{fmt}") for n in names for fmt in ("png", "svg")]
        self.assertEqual(listed, expected)
        self.assertEqual(sorted(os.listdir(out)), sorted(os.path.basename(p) for p in expected))
        for path in expected:
            with open(path, "rb") as f:
                data = f.read()
            if path.endswith(".png"):
                self.assertTrue(data.startswith(PNG_MAGIC), path)
                self.assertGreater(len(data), 10_000, path)
            else:
                root = ET.fromstring(data)
                self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg", path)
                self.assertGreater(len(data), 10_000, path)

    def assert_bad(self, result, name):
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("plot.py: "), lines[0])
        self.assertIn(name, lines[0])
        self.assertEqual(result.stdout, "")

    # The command line ------------------------------------------------------------------------

    def test_shebang_is_debian_python(self):
        with open(PLOT) as f:
            self.assertEqual(f.readline().strip(), "#!/usr/bin/python3")

    def test_one_report_writes_throughput_and_latency(self):
        out = os.path.join(self.tmp, "out", "nested")  # created, parents included
        result = self.run_plot(REPORT_A, "-o", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assert_charts(out, ["throughput", "latency"], result.stdout)

    def test_two_reports_add_the_change_chart(self):
        out = os.path.join(self.tmp, "out")
        result = self.run_plot(REPORT_A, REPORT_B, "-o", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_charts(out, ["throughput", "latency", "change"], result.stdout)
        # mmap-table is skipped on mixed and counter in both: not compared, and said so.
        self.assertIn("not compared (skipped or failed): mmap-table/mixed procs:1,2,4; "
                      "mmap-table/counter procs:1,2,4", result.stdout)

    def test_procs_option(self):
        out = os.path.join(self.tmp, "out")
        result = self.run_plot(REPORT_A, "-o", out, "--procs", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_charts(out, ["throughput", "latency"], result.stdout)

    def test_procs_not_in_the_report(self):
        result = self.run_plot(REPORT_A, "-o", os.path.join(self.tmp, "out"), "--procs", "3")
        self.assert_bad(result, "--procs 3")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))

    def test_not_json(self):
        path = self.write("broken.json", '{"context": ')
        self.assert_bad(self.run_plot(path, "-o", "out"), "broken.json: not JSON")

    def test_binary_file(self):
        path = self.write("binary.json", b"\x89PNG\r\n\x1a\n\x00\xff")
        self.assert_bad(self.run_plot(path, "-o", "out"), "binary.json: not JSON")

    def test_json_that_is_not_a_report(self):
        cases = {
            "list.json": "[1, 2]",
            "gbench.json": json.dumps({"context": {"date": "x"}, "benchmarks": []}),
            "nobench.json": json.dumps({"context": {"sharebench_schema_version": 1}}),
        }
        for name, content in cases.items():
            with self.subTest(name=name):
                path = self.write(name, content)
                self.assert_bad(self.run_plot(path, "-o", "out"),
                                f"{name}: not a sharebench report")

    def test_malformed_entry(self):
        with open(REPORT_A) as f:
            doc = json.load(f)
        del doc["benchmarks"][5]["items_per_second"]
        path = self.write("entry.json", json.dumps(doc))
        self.assert_bad(self.run_plot(path, "-o", "out"), "items_per_second")

    def test_missing_file(self):
        self.assert_bad(self.run_plot("missing.json", "-o", "out"),
                        "missing.json: cannot read: No such file or directory")

    def test_bad_second_report(self):
        path = self.write("second.json", "not json")
        self.assert_bad(self.run_plot(REPORT_A, path, "-o", "out"), "second.json: not JSON")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))

    def test_usage_errors_are_one_line(self):
        for args in ([REPORT_A], [REPORT_A, REPORT_B, REPORT_A, "-o", "out"]):
            with self.subTest(args=args):
                result = self.run_plot(*args)
                self.assertEqual(result.returncode, 2)
                self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
                self.assertTrue(result.stderr.startswith("plot.py: "))

    def assert_no_matplotlib(self, result, python):
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stdout, "")
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith(f"plot.py: matplotlib is not installed for {python}; "),
                        lines[0])
        self.assertIn("/usr/bin/python3", lines[0])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))

    def test_a_python_without_matplotlib_names_debian_python(self):
        pyenv = shutil.which("python3")
        if pyenv is None or os.path.realpath(pyenv) == os.path.realpath("/usr/bin/python3"):
            self.skipTest("no other python3 on PATH")
        probe = subprocess.run([pyenv, "-c", "import sys\ntry:\n import matplotlib\nexcept "
                                "ImportError:\n print(sys.executable)"],
                               capture_output=True, text=True, timeout=60)
        python = probe.stdout.strip()  # the interpreter itself: pyenv's shim takes a second
        if not python:
            self.skipTest(f"{pyenv} has matplotlib")
        result = self.run_plot(REPORT_A, "-o", "out", python=(python,))
        self.assert_no_matplotlib(result, python)
        self.assertTrue(result.stderr.rstrip().endswith(
            "; run it with /usr/bin/python3 (Debian's python3-matplotlib)"), result.stderr)

    def test_debian_python_without_matplotlib_says_what_to_install(self):
        # -S: no site-packages, so no python3-matplotlib (in /usr/lib/python3/dist-packages).
        result = self.run_plot(REPORT_A, "-o", "out", python=("/usr/bin/python3", "-S"))
        self.assert_no_matplotlib(result, "/usr/bin/python3")
        self.assertIn("install Debian's python3-matplotlib", result.stderr)

    # What is drawn ---------------------------------------------------------------------------

    def test_points_are_medians_and_bars_min_max_of_ok_repetitions(self):
        report = plot.load_report(REPORT_A)
        cell = report.cells[("null", "read", 1)]
        point, low, high = cell.throughput()
        self.assertAlmostEqual(point, 79044967.53767315)
        self.assertAlmostEqual(low, 64151830.86361878)
        self.assertAlmostEqual(high, 86954873.57249705)
        # The fixture's own aggregate says the same median.
        self.assertAlmostEqual(point, cell.aggregates["median"]["items_per_second"])
        self.assertEqual(cell.latency("p99"), (44, 40, 52))

    def test_skipped_cells_are_not_plotted_but_named(self):
        report = plot.load_report(REPORT_A)
        skipped = report.cells[("mmap-table", "mixed", 2)]
        self.assertFalse(skipped.plottable)
        notes = plot.not_ok_notes(report, list(report.cells.values()))
        self.assertEqual(notes, [
            "skipped: mmap-table/mixed (strategy does not support put (immutable)); "
            "mmap-table/counter (strategy does not support add)"])
        at_4 = [c for c in report.cells.values() if c.procs == 4]
        self.assertEqual(plot.not_ok_notes(report, at_4)[0].split(";")[0],
                         "skipped: mmap-table/mixed procs:4 (strategy does not support put "
                         "(immutable))")

    def test_failed_repetitions_leave_the_others(self):
        with open(REPORT_A) as f:
            doc = json.load(f)
        for entry in doc["benchmarks"]:
            if entry["name"] == "shm-map/read/procs:2" and entry.get("repetition_index") == 0:
                entry.update(status="failed", reason="worker 1: killed by signal 9 (SIGKILL)")
        path = self.write("failed.json", json.dumps(doc))
        report = plot.load_report(path)
        cell = report.cells[("shm-map", "read", 2)]
        self.assertEqual(len(cell.ok), 2)
        self.assertEqual(cell.throughput()[1], min(e["items_per_second"] for e in cell.ok))
        self.assertIn("failed: shm-map/read procs:2, 1 of 3 repetitions (worker 1: killed by "
                      "signal 9 (SIGKILL))", plot.not_ok_notes(report, list(report.cells.values())))

    def test_aggregates_only_report(self):
        with open(REPORT_A) as f:
            doc = json.load(f)
        doc["benchmarks"] = [e for e in doc["benchmarks"] if e["run_type"] == "aggregate"]
        path = self.write("aggregates.json", json.dumps(doc))
        cell = plot.load_report(path).cells[("null", "read", 1)]
        self.assertTrue(cell.plottable)
        point, low, high = cell.throughput()
        stddev = cell.aggregates["stddev"]["items_per_second"]
        self.assertAlmostEqual(point, 79044967.53767315)
        self.assertAlmostEqual(high - point, stddev)
        self.assertAlmostEqual(point - low, stddev)
        out = os.path.join(self.tmp, "out")
        result = self.run_plot(path, "-o", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_charts(out, ["throughput", "latency"], result.stdout)

    def test_change_per_cell(self):
        before, after = plot.load_report(REPORT_A), plot.load_report(REPORT_B)
        rows, only_before, only_after, not_ok = plot.compare(before, after)
        self.assertEqual(len(rows), 36 - 6)
        self.assertEqual([r.change for r in rows], sorted(r.change for r in rows))
        change = next(r.change for r in rows if r.name == "null/read/procs:1")
        a = before.cells[("null", "read", 1)].throughput()[0]
        b = after.cells[("null", "read", 1)].throughput()[0]
        self.assertAlmostEqual(change, (b / a - 1) * 100)
        self.assertEqual((only_before, only_after), ([], []))
        self.assertEqual(len(not_ok), 6)

    def test_cells_on_one_side_only_are_listed(self):
        with open(REPORT_B) as f:
            doc = json.load(f)
        doc["benchmarks"] = [e for e in doc["benchmarks"] if e["strategy"] != "socket-manager"]
        path = self.write("after.json", json.dumps(doc))
        out = os.path.join(self.tmp, "out")
        result = self.run_plot(REPORT_A, path, "-o", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("only in before: socket-manager/read procs:1,2,4; socket-manager/mixed "
                      "procs:1,2,4; socket-manager/counter procs:1,2,4", result.stdout)
        self.assert_charts(out, ["throughput", "latency", "change"], result.stdout)


# Synthetic reports ---------------------------------------------------------------------------


def entry(strategy, workload, procs, rate=1e6, repetition=0, status="ok", reason=""):
    name = f"{strategy}/{workload}/procs:{procs}"
    e = {"name": name, "run_name": name, "run_type": "iteration", "strategy": strategy,
         "workload": workload, "procs": procs, "repetition_index": repetition, "batch": 1,
         "status": status, "reason": reason}
    if status == "ok":
        e.update(items_per_second=rate, latency_ns={"p50": 1e9 / rate, "p99": 3e9 / rate,
                                                    "p999": 9e9 / rate})
    return e


def make_report(rates, path="synthetic.json", workloads=("read", "mixed"), procs=(1, 2),
                not_ok=None):
    """A Report: rates[strategy] is its ops/s at procs 1, one per repetition (doubling with
    procs, scaled per workload); not_ok[strategy] = (status, reason) for every cell of it, or
    {workload: (status, reason)} for some."""
    entries = []
    for strategy, reps in rates.items():
        for w_index, workload in enumerate(workloads):
            for p in procs:
                for r, rate in enumerate(reps):
                    entries.append(entry(strategy, workload, p, rate * p / (1 + w_index), r))
    for strategy, how in (not_ok or {}).items():
        per_workload = how if isinstance(how, dict) else dict.fromkeys(workloads, how)
        entries = [e for e in entries if not (e["strategy"] == strategy
                                               and e["workload"] in per_workload)]
        for workload, (status, reason) in per_workload.items():
            entries += [entry(strategy, workload, p, status=status, reason=reason) for p in procs]
    doc = {"context": {"sharebench_schema_version": 1, "cpu_model": "Test CPU", "num_cpus": 4,
                       "host_name": "test", "date": "2026-01-01T00:00:00+00:00"},
           "benchmarks": entries}
    return plot.Report(path, doc)


def hue(color):
    return colorsys.rgb_to_hls(*(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)))[0]


class ChartTest(unittest.TestCase):
    """The charts' artists, drawn in this process (no files): fast, and exact."""

    @classmethod
    def setUpClass(cls):
        cls.plt = plot._pyplot()

    def chart(self, chart):
        self.addCleanup(self.plt.close, chart.figure)
        return chart

    def throughput(self, report):
        return self.chart(plot.plot_throughput(self.plt, report))

    @staticmethod
    def drawn_lines(chart):
        """strategy -> the data line it is drawn with, in the first panel."""
        ax = chart.figure.axes[0]
        return {c.get_label(): c.lines[0] for c in ax.containers}

    @staticmethod
    def labels(legend):
        return [t.get_text() for t in legend.get_texts()]

    # Colours -----------------------------------------------------------------------------------

    def test_a_strategy_has_one_colour_in_every_report(self):
        one = self.throughput(make_report({"shm-map": [5e6], "null": [5e7]}))
        other = self.throughput(make_report({"redis": [1e4], "socket-manager": [2e4],
                                             "py-manager": [1e4], "shm-map": [6e6]}))
        line_one, line_other = self.drawn_lines(one)["shm-map"], self.drawn_lines(other)["shm-map"]
        self.assertEqual(line_one.get_color(), line_other.get_color())
        self.assertEqual(line_one.get_marker(), line_other.get_marker())
        self.assertEqual(line_one.get_color(), "#2ca02c")
        # The legend says the same: its handle for shm-map has the line's colour.
        for chart in (one, other):
            handle = dict(zip(self.labels(chart.legend), chart.legend.get_lines()))["shm-map"]
            self.assertEqual(handle.get_color(), "#2ca02c")

    def test_every_known_strategy_has_its_own_colour_and_marker(self):
        known = ["null", "mmap-table", "shm-map", "socket-manager", "queue-passing", "redis"]
        python = ["py-null", "py-mmap-dict", "py-manager", "py-queue", "py-value-array",
                  "py-lmdb", "py-redis"]
        styles = [plot.strategy_style(s) for s in known + python]
        self.assertEqual(len({s.color for s in styles}), len(styles))
        self.assertEqual(len({s.marker for s in styles[:len(known)]}), len(known))

    def test_other_names_get_a_colour_from_their_name_not_their_order(self):
        names = ["python:/home/u/my_store.py", "python:other.py", "brand-new"]
        forward = self.drawn_lines(self.throughput(make_report({n: [1e5] for n in names})))
        backward = self.drawn_lines(self.throughput(make_report({n: [1e5] for n in names[::-1]})))
        for n in names:
            self.assertEqual(forward[n].get_color(), backward[n].get_color(), n)
            self.assertIn(forward[n].get_color(), plot.EXTRA_COLORS, n)
        # The same in another process (a salted hash() would not be).
        def styles(names):
            return " ".join(plot.strategy_style(n).color + plot.strategy_style(n).marker
                            for n in names)

        other = subprocess.run(
            ["/usr/bin/python3", "-B", "-c",
             f"import sys; sys.path.insert(0, {os.path.dirname(PLOT)!r}); import plot; "
             "print(' '.join(plot.strategy_style(n).color + plot.strategy_style(n).marker "
             "for n in sys.argv[1:]))", *names],
            capture_output=True, text=True, timeout=60, check=True)
        self.assertEqual(other.stdout.strip(), styles(names))

    def test_transport_variants_keep_the_base_colour_family(self):
        base = plot.strategy_style("socket-manager")
        for name in ("socket-manager[uds]", "socket-manager:zmq"):
            with self.subTest(name=name):
                variant = plot.strategy_style(name)
                self.assertNotEqual(variant.color, base.color)
                self.assertNotEqual(variant.marker, base.marker)
                self.assertAlmostEqual(hue(variant.color), hue(base.color), delta=0.01)
                self.assertEqual(variant.linestyle, "-")
        self.assertEqual(plot.split_variant("socket-manager[uds]"), ("socket-manager", "[uds]"))
        self.assertEqual(plot.split_variant("socket-manager:zmq"), ("socket-manager", ":zmq"))
        self.assertEqual(plot.split_variant("python:a/b.py"), ("python:a/b.py", ""))
        # [uds] and :uds are one transport.
        self.assertEqual(plot.strategy_style("socket-manager[uds]"),
                         plot.strategy_style("socket-manager:uds"))

    # Python at a glance ------------------------------------------------------------------------

    def test_python_mechanisms_are_dashed_and_hollow(self):
        chart = self.throughput(make_report({"mmap-table": [8e6], "py-mmap-dict": [2e6],
                                             "python:/tmp/mine.py": [1e6]}))
        lines = self.drawn_lines(chart)
        cpp = lines["mmap-table"]
        self.assertEqual(cpp.get_linestyle(), "-")
        self.assertEqual(cpp.get_markerfacecolor(), cpp.get_color())
        for name in ("py-mmap-dict", "python:/tmp/mine.py"):
            self.assertEqual(lines[name].get_linestyle(), "--", name)
            self.assertEqual(lines[name].get_markerfacecolor(), "white", name)
        self.assertEqual(self.labels(chart.legend),
                         ["mmap-table", "py-mmap-dict", "python:/tmp/mine.py", plot.PYTHON_NOTE])
        note = chart.legend.get_lines()[-1]
        self.assertEqual((note.get_linestyle(), note.get_markerfacecolor()), ("--", "white"))
        # Without a Python mechanism, no note.
        chart = self.throughput(make_report({"mmap-table": [8e6]}))
        self.assertEqual(self.labels(chart.legend), ["mmap-table"])

    def test_python_peers_share_the_colour_family_of_their_cpp_strategy(self):
        for peer, cpp in plot.PYTHON_PEER_OF.items():
            with self.subTest(peer=peer):
                p, c = plot.strategy_style(peer), plot.strategy_style(cpp)
                self.assertEqual(p.marker, c.marker)
                self.assertAlmostEqual(hue(p.color), hue(c.color), delta=0.01)
                self.assertNotEqual(p.color, c.color)
                self.assertTrue((p.python, c.python) == (True, False))

    def test_latency_chart_marks_python_hollow_and_italic(self):
        report = make_report({"redis": [1e4], "py-redis": [5e3]})
        chart = self.chart(plot.plot_latency(self.plt, report, 2))
        ax = chart.figure.axes[0]
        faces = {c.get_label(): c.lines[0].get_markerfacecolor() for c in ax.containers}
        self.assertEqual(faces["py-redis p99"], "white")
        self.assertEqual(faces["redis p99"], plot.strategy_style("redis").color)
        ticks = {t.get_text(): t.get_fontstyle() for t in ax.get_xticklabels()}
        self.assertEqual(ticks, {"redis": "normal", "py-redis": "italic"})
        self.assertIn("hollow, italic: Python\nmechanism", self.labels(chart.legend))

    # Skipped strategies ------------------------------------------------------------------------

    def test_a_strategy_that_never_ran_is_in_no_legend(self):
        report = make_report(
            {"null": [5e7], "mmap-table": [8e6], "shm-map": [6e6], "redis": [1e4],
             "py-manager": [1e4]},
            not_ok={"mmap-table": ("skipped", "strategy does not support put (immutable)"),
                    "redis": ("failed", "redis-server: not found"),
                    "shm-map": {"mixed": ("skipped", "no room")}})
        chart = self.throughput(report)
        # shm-map ran on read: it stays.
        self.assertEqual(self.labels(chart.legend),
                         ["null", "shm-map", "py-manager", plot.PYTHON_NOTE])
        self.assertNotIn("mmap-table", self.drawn_lines(chart))
        caption = " ".join(chart.caption.get_text().split())
        self.assertIn("skipped: mmap-table (strategy does not support put (immutable)); "
                      "shm-map/mixed (no room)", caption)
        self.assertIn("failed: redis (redis-server: not found)", caption)
        latency = self.chart(plot.plot_latency(self.plt, report, 2))
        ticks = [t.get_text() for t in latency.figure.axes[0].get_xticklabels()]
        self.assertEqual(ticks, ["null", "shm-map", "py-manager"])
        caption = " ".join(latency.caption.get_text().split())
        self.assertIn("skipped: mmap-table procs:2 (strategy does not support put (immutable))",
                      caption)

    # Captions ----------------------------------------------------------------------------------

    def assert_caption_inside(self, chart):
        fig = chart.figure
        fig.canvas.draw()
        box, inside = chart.caption.get_window_extent(), fig.bbox
        self.assertGreaterEqual(box.x0, inside.x0)
        self.assertLessEqual(box.x1, inside.x1)
        self.assertGreaterEqual(box.y0, inside.y0)
        self.assertGreater(len(chart.caption.get_text().splitlines()), 2)

    def test_captions_are_wrapped_inside_the_figure(self):
        # One workload: the narrowest figures; a long reason and a long path to wrap.
        reason = "the server refused the connection because " * 6
        long_path = "/home/someone/benchmarks/" + "a-rather-long-directory-name/" * 4 + "x.json"
        rates = {"null": [5e7, 5.1e7, 4.9e7], "socket-manager": [1e4, 1.1e4, 0.9e4]}
        before = make_report(rates, path=long_path, workloads=("read",), procs=(1, 8),
                             not_ok={"socket-manager": {"read": ("skipped", reason)}})
        after = make_report(rates, path=long_path + ".after", workloads=("read",), procs=(1, 8))
        charts = {"throughput": self.throughput(before),
                  "latency": self.chart(plot.plot_latency(self.plt, before, 8)),
                  "change": self.chart(plot.plot_change(self.plt, before, after))}
        for name, chart in charts.items():
            with self.subTest(chart=name):
                self.assert_caption_inside(chart)

    # The change chart's certainty --------------------------------------------------------------

    def change(self, before_rates, after_rates):
        before = make_report(before_rates, path="before.json", workloads=("read",), procs=(1,))
        after = make_report(after_rates, path="after.json", workloads=("read",), procs=(1,))
        chart = self.chart(plot.plot_change(self.plt, before, after))
        ax = chart.figure.axes[0]
        bars = {c.get_label(): c.patches[0] for c in ax.containers if hasattr(c, "patches")}
        return chart, bars

    def test_single_repetitions_are_not_drawn_as_certain(self):
        # The report that started it: +0.3% and -10.7%, one repetition each, drawn alike.
        chart, bars = self.change({"null": [1e7], "shm-map": [1e6]},
                                  {"null": [1.003e7], "shm-map": [0.893e6]})
        for name in ("null/read/procs:1", "shm-map/read/procs:1"):
            bar = bars[name]
            self.assertLess(bar.get_facecolor()[3], 0.5, name)
            self.assertEqual(bar.get_hatch(), "////", name)
        caption = " ".join(chart.caption.get_text().split())
        self.assertIn("hatched and faded: single repetition, not judged.", caption)
        self.assertNotIn("solid:", caption)
        self.assertEqual(self.labels(chart.legend), ["not judged (too few\nrepetitions)"])

    def test_a_change_is_solid_when_three_repetitions_a_side_say_significant(self):
        chart, bars = self.change(
            {"null": [1.00e7, 1.01e7, 0.99e7], "shm-map": [1.00e6, 1.30e6, 0.70e6]},
            {"null": [0.89e7, 0.90e7, 0.88e7], "shm-map": [0.95e6, 1.25e6, 0.75e6]})
        significant, noise = bars["null/read/procs:1"], bars["shm-map/read/procs:1"]
        self.assertEqual(significant.get_facecolor()[3], 1.0)
        self.assertIsNone(significant.get_hatch())
        self.assertLess(noise.get_facecolor()[3], 1.0)
        self.assertIsNone(noise.get_hatch())
        caption = " ".join(chart.caption.get_text().split())
        self.assertIn("one-sided Mann–Whitney U test, p ≤ 0.05", caption)
        self.assertIn("solid: significant over 3 repetitions a side; faded: not significant "
                      "over 3 repetitions a side", caption)
        self.assertEqual(self.labels(chart.legend), ["significant", "not significant"])

    def test_aggregates_alone_are_not_judged(self):
        with open(REPORT_A) as f:
            doc = json.load(f)
        doc["benchmarks"] = [e for e in doc["benchmarks"] if e["run_type"] == "aggregate"]
        report = plot.Report("aggregates.json", doc)
        rows = plot.compare(report, report)[0]
        self.assertEqual({(r.verdict, r.repetitions) for r in rows}, {(plot.NOT_JUDGED, 0)})
        self.assertTrue(plot.certainty_rule(rows).endswith(
            "hatched and faded: aggregates only, not judged."))

    def test_the_verdicts(self):
        self.assertEqual(plot.judge_change([10, 11, 12], [1, 2, 3]), plot.SIGNIFICANT)
        self.assertEqual(plot.judge_change([1, 2, 3], [10, 11, 12]), plot.SIGNIFICANT)
        self.assertEqual(plot.judge_change([100, 140, 70], [85, 120, 60]), plot.NOISE)
        self.assertEqual(plot.judge_change([10, 11], [1, 2, 3]), plot.NOT_JUDGED)
        self.assertEqual(plot.judge_change([10], [1]), plot.NOT_JUDGED)

    def test_the_rank_test_is_the_one_compare_uses(self):
        # The figures of tests/compare_test.cpp (MannWhitney).
        self.assertAlmostEqual(plot.mann_whitney_p_lower([10, 11, 12], [1, 2, 3]), 0.05)
        self.assertAlmostEqual(plot.mann_whitney_p_lower([10, 11, 12, 13, 14], [1, 2, 3, 4, 5]),
                               0.003968253968253968, places=15)
        self.assertAlmostEqual(plot.mann_whitney_p_lower([100, 140, 70], [85, 120, 60]), 0.35)
        self.assertAlmostEqual(plot.mann_whitney_p_lower([5, 6, 7, 3, 9], [1, 2, 3, 4, 6]),
                               0.046345858062223216, places=12)


# Sweeps ------------------------------------------------------------------------------------------
# tests/fixtures/sweep-value-size.json and sweep-keys.json: entries of report-a.json edited into
# the sweep format (value_size, keys, bytes_per_second; names ending /value:64K or /keys:1M),
# one repetition a cell. Value size: read, procs 1 and 2, 32 B to 1 MiB; socket-manager[uds]
# skipped at 1 MiB, redis failed everywhere. Keys: read, procs 1 and 2, 1K to 10M keys of
# 32 B; py-mmap-dict skipped at 10M keys, procs 2. Both carry report-a's caches.

SWEEP_VALUES = os.path.join(FIXTURES, "sweep-value-size.json")
SWEEP_KEYS = os.path.join(FIXTURES, "sweep-keys.json")
KIB, MIB = 1024, 1024 * 1024
VALUE_SIZES = [32, KIB, 64 * KIB, MIB]


def fixture(path):
    with open(path) as f:
        return json.load(f)


def fixture_rate(doc, name, field="items_per_second"):
    return next(e[field] for e in doc["benchmarks"] if e["name"] == name)


def flat(text):
    """A caption as one line: wrapping and the no-break spaces that keep '2 MiB' whole undone."""
    return " ".join(text.replace("\u00a0", " ").split())


class SweepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plt = plot._pyplot()

    def chart(self, chart):
        self.addCleanup(self.plt.close, chart.figure)
        return chart

    def test_the_dimensions_come_from_the_fields(self):
        values, keys = plot.load_report(SWEEP_VALUES), plot.load_report(SWEEP_KEYS)
        self.assertEqual((values.swept, values.value_sizes, values.key_counts),
                         (("value_size",), VALUE_SIZES, [20000]))
        self.assertEqual((keys.swept, keys.key_counts), (("keys",), [1000, 100000, 10000000]))
        self.assertEqual(plot.load_report(REPORT_A).swept, ())
        names = [c.name for c in values.all_cells.values()]
        self.assertIn("socket-manager[uds]/read/procs:2/value:64K", names)
        self.assertIn("null/read/procs:1/value:32", names)
        self.assertIn("py-mmap-dict/read/procs:2/keys:10M",
                      [c.name for c in keys.all_cells.values()])
        self.assertEqual([plot._binary_size(n) for n in (32, 1000, 1024, 1536, MIB)],
                         ["32", "1000", "1K", "1536", "1M"])
        self.assertEqual([plot._decimal_count(n) for n in (999, 1000, 1024, 20000, 10 ** 7)],
                         ["999", "1K", "1024", "20K", "10M"])

    def test_value_size_series(self):
        doc = fixture(SWEEP_VALUES)
        report = plot.Report(SWEEP_VALUES, doc)
        for measure, field in (("ops", "items_per_second"), ("bytes", "bytes_per_second")):
            panels = plot.sweep_panels(report, "value_size", measure)
            self.assertEqual([p.title for p in panels], ["read, procs 1", "read, procs 2"])
            for panel in panels:
                with self.subTest(measure=measure, panel=panel.title):
                    series = {s.strategy: s for s in panel.series}
                    # redis failed in every cell: no line.
                    self.assertEqual(list(series), ["null", "shm-map", "socket-manager",
                                                    "socket-manager[uds]", "py-value-array"])
                    self.assertEqual(series["socket-manager[uds]"].x, VALUE_SIZES[:3])
                    for s in panel.series:
                        if s.strategy != "socket-manager[uds]":
                            self.assertEqual(s.x, VALUE_SIZES, s.strategy)
                        self.assertEqual(s.y, [fixture_rate(
                            doc, f"{s.strategy}/read/procs:{panel.procs}/value:"
                            f"{plot._binary_size(v)}", field) for v in s.x])
                    self.assertEqual(panel.cache_lines, [])

    def test_value_size_charts(self):
        report = plot.load_report(SWEEP_VALUES)
        for measure, label in (("ops", "ops/s"), ("bytes", "bytes/s")):
            with self.subTest(measure=measure):
                chart = self.chart(plot.plot_sweep(self.plt, report, "value_size", measure))
                ax = chart.figure.axes[0]
                self.assertEqual((ax.get_xscale(), ax.get_yscale()), ("log", "log"))
                self.assertEqual([t.get_text() for t in ax.get_xticklabels()],
                                 ["32 B", "1 KiB", "64 KiB", "1 MiB"])
                self.assertTrue(ax.get_ylabel().startswith(label))
                self.assertEqual([t.get_text() for t in chart.legend.get_texts()],
                                 ["null", "shm-map", "socket-manager", "socket-manager[uds]",
                                  "py-value-array", plot.PYTHON_NOTE])
                lines = {c.get_label(): c.lines[0] for c in ax.containers}
                uds = lines["socket-manager[uds]"]
                self.assertEqual(list(uds.get_xdata()), VALUE_SIZES[:3])
                self.assertEqual(uds.get_color(), plot.strategy_style("socket-manager[uds]").color)
                python = lines["py-value-array"]
                self.assertEqual((python.get_linestyle(), python.get_markerfacecolor()),
                                 ("--", "white"))
                caption = flat(chart.caption.get_text())
                self.assertIn("skipped: socket-manager[uds]/read/value:1M (a value of 1048576 "
                              "bytes exceeds the uds transport's 262144-byte message limit)",
                              caption)
                self.assertIn("failed: redis (redis-server: not found on PATH)", caption)

    def test_keys_series_and_cache_lines(self):
        doc = fixture(SWEEP_KEYS)
        report = plot.Report(SWEEP_KEYS, doc)
        panels = plot.sweep_panels(report, "keys", "ops")
        self.assertEqual([p.title for p in panels], ["read, procs 1", "read, procs 2"])
        per_key = 32 + 8 + 32  # value, key, index and entry header (plot.py's estimate)
        self.assertEqual((plot.KEY_BYTES, plot.ENTRY_OVERHEAD_BYTES), (8, 32))
        # report-a's caches: L1d 48 KiB, L1i (not a data cache), L2 2 MiB, L3 260 MiB.
        expected = [plot.CacheLine("L1d", 49152, 49152 / per_key),
                    plot.CacheLine("L2", 2097152, 2097152 / per_key),
                    plot.CacheLine("L3", 272629760, 272629760 / per_key)]
        for panel in panels:
            self.assertEqual(panel.cache_lines, expected)
            series = {s.strategy: s for s in panel.series}
            self.assertEqual(list(series), ["null", "mmap-table", "shm-map", "py-mmap-dict"])
            self.assertEqual(series["shm-map"].y, [fixture_rate(
                doc, f"shm-map/read/procs:{panel.procs}/keys:{plot._decimal_count(k)}")
                for k in (1000, 100000, 10000000)])
        self.assertEqual(series["py-mmap-dict"].x, [1000, 100000])  # skipped at 10M, procs 2
        chart = self.chart(plot.plot_sweep(self.plt, report, "keys", "ops"))
        ax = chart.figure.axes[0]
        self.assertEqual((ax.get_xscale(), ax.get_yscale()), ("log", "log"))
        self.assertEqual([t.get_text() for t in ax.get_xticklabels()], ["1k", "100k", "10M"])
        vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"]
        self.assertEqual(vertical, [c.keys for c in expected])
        self.assertLessEqual(ax.get_xlim()[0], expected[0].keys)  # L1d at ~683 keys is shown
        caption = flat(chart.caption.get_text())
        self.assertIn("working set ≈ keys × (value + 8 B key + 32 B index and entry header)",
                      caption)
        self.assertIn("value 32 B: L1d (48 KiB) at ~683 keys, L2 (2 MiB) at ~29.1k keys, "
                      "L3 (260 MiB) at ~3.79M keys.", caption)
        self.assertIn("skipped: py-mmap-dict/read/keys:10M procs:2 (needs 2.3 GiB of memory, "
                      "1.6 GiB available)", caption)
        self.assertIn("working set fills\nthis cache (estimate)",
                      [t.get_text() for t in chart.legend.get_texts()])

    def test_keys_without_cache_sizes(self):
        for how in ("empty", "absent"):
            with self.subTest(caches=how):
                doc = fixture(SWEEP_KEYS)
                if how == "empty":
                    doc["context"]["caches"] = []
                else:
                    del doc["context"]["caches"]
                report = plot.Report("nocache.json", doc)
                panels = plot.sweep_panels(report, "keys", "ops")
                self.assertEqual([p.cache_lines for p in panels], [[], []])
                chart = self.chart(plot.plot_sweep(self.plt, report, "keys", "ops"))
                for ax in chart.figure.axes:
                    self.assertEqual([l for l in ax.get_lines() if l.get_linestyle() == ":"], [])
                self.assertIn("The machine did not expose its cache sizes (no context.caches): "
                              "no cache lines.", flat(chart.caption.get_text()))
                self.assertNotIn("working set fills\nthis cache (estimate)",
                                 [t.get_text() for t in chart.legend.get_texts()])

    def test_a_sweep_over_both_has_a_panel_per_other_value(self):
        doc = fixture(SWEEP_KEYS)
        more = [dict(e, value_size=KIB, name=e["name"] + "/value:1K") for e in doc["benchmarks"]]
        doc["benchmarks"] += more
        report = plot.Report("both.json", doc)
        self.assertEqual(report.swept, ("value_size", "keys"))
        self.assertEqual(report.point, {"value_size": 32, "keys": 1000})
        panels = plot.sweep_panels(report, "keys", "ops")
        self.assertEqual([p.title for p in panels],
                         ["read, procs 1, value 32 B", "read, procs 2, value 32 B",
                          "read, procs 1, value 1 KiB", "read, procs 2, value 1 KiB"])
        self.assertEqual(panels[2].cache_lines[1].keys, 2097152 / (KIB + 8 + 32))
        by_value = plot.sweep_panels(report, "value_size", "ops")
        self.assertEqual(by_value[0].title, "read, procs 1, keys 1k")
        self.assertEqual(by_value[0].series[0].x, [32, KIB])

    def test_charts_over_procs_show_the_smallest_point(self):
        report = plot.load_report(SWEEP_VALUES)
        self.assertEqual({c.value_size for c in report.cells.values()}, {32})
        self.assertEqual(len(report.cells), 6 * 2)
        chart = self.chart(plot.plot_throughput(self.plt, report))
        self.assertIn("sharebench: throughput vs worker processes at value 32 B — "
                      "sweep-value-size.json", [t.get_text().split("\n")[0]
                                                for t in chart.figure.texts])
        self.assertIn("The report sweeps value size: this chart shows its smallest, value 32 B; "
                      "value-size.png and value-size-bytes.png show all of it.",
                      flat(chart.caption.get_text()))
        keys = plot.load_report(SWEEP_KEYS)
        chart = self.chart(plot.plot_latency(self.plt, keys, 2))
        self.assertIn("sharebench: latency at procs 2, keys 1k — sweep-keys.json",
                      [t.get_text().split("\n")[0] for t in chart.figure.texts])
        self.assertIn("this chart shows its smallest, keys 1k; keys.png shows all of it.",
                      flat(chart.caption.get_text()))

    def test_change_matches_cells_by_all_dimensions(self):
        report = plot.load_report(SWEEP_VALUES)
        rows, only_before, only_after, not_ok = plot.compare(report, report)
        self.assertEqual(len(rows), 5 * 4 * 2 - 2)  # redis and uds at 1 MiB did not run
        self.assertIn("shm-map/read/procs:2/value:64K", [r.name for r in rows])
        self.assertEqual(({r.change for r in rows}, only_before, only_after), ({0.0}, [], []))
        self.assertEqual(len(not_ok), 10)
        # A report from before sweeps (no value_size and keys) against one that does not sweep.
        old = plot.load_report(REPORT_A)
        doc = fixture(REPORT_A)
        for e in doc["benchmarks"]:
            e.update(value_size=32, keys=20000, bytes_per_second=e["items_per_second"] * 32)
        new = plot.Report("new.json", doc)
        rows, only_before, only_after, _ = plot.compare(old, new)
        self.assertEqual((len(rows), only_before, only_after), (30, [], []))

    def test_a_counter_workloads_zero_keys_beside_reads_keys_is_no_sweep(self):
        # As the reference run: read preloads 1M keys, counter preloads none (keys 0).
        doc = fixture(REPORT_A)
        for e in doc["benchmarks"]:
            keys = 0 if e["workload"] == "counter" else 1000000
            e.update(value_size=32, keys=keys, bytes_per_second=e["items_per_second"] * 32)
        report = plot.Report("reference.json", doc)
        self.assertEqual((report.swept, report.point, plot.sweep_chart_names(report)), ((), {}, []))
        self.assertEqual({w for _, w, _ in report.cells}, {"read", "mixed", "counter"})
        # A workload that is swept keeps the others' one value beside its smallest.
        doc["benchmarks"].extend(dict(e, keys=2000000, name=e["name"] + "/keys:2M")
                                 for e in fixture(REPORT_A)["benchmarks"] if e["workload"] == "read")
        for e in doc["benchmarks"]:
            e.setdefault("value_size", 32)
            e.setdefault("bytes_per_second", e["items_per_second"] * 32)
        report = plot.Report("sweep.json", doc)
        self.assertEqual((report.swept, report.point), (("keys",), {"keys": 1000000}))
        self.assertEqual({(w, c.keys) for (_, w, _), c in report.cells.items()},
                         {("read", 1000000), ("mixed", 1000000), ("counter", 0)})

    def test_malformed_sweep_fields(self):
        cases = {"value_size": "64K", "keys": -1, "bytes_per_second": None}
        for field, bad in cases.items():
            with self.subTest(field=field):
                doc = fixture(SWEEP_VALUES)
                doc["benchmarks"][0][field] = bad
                with self.assertRaisesRegex(plot.ReportError,
                                            rf"^benchmarks\[0\] \(null/read/procs:1/value:32\): "
                                            rf"{field} is missing or not"):
                    plot.Report("bad.json", doc)

    def test_sweep_files(self):
        for path, names in ((SWEEP_VALUES, ["throughput", "latency", "value-size",
                                            "value-size-bytes"]),
                            (SWEEP_KEYS, ["throughput", "latency", "keys"])):
            with self.subTest(report=os.path.basename(path)), \
                    tempfile.TemporaryDirectory(dir=SCRATCH.name) as out:
                stdout = io.StringIO()
                with contextlib.redirect_stdout(stdout):
                    self.assertEqual(plot.main([path, "-o", out]), 0)
                PlotTest.assert_charts(self, out, names, stdout.getvalue())


if __name__ == "__main__":
    unittest.main(verbosity=2)
