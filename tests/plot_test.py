#!/usr/bin/python3
"""Tests of plots/plot.py: the files it promises, its errors, and what it draws from a report.

Run with /usr/bin/python3 (it has matplotlib); ctest runs it as plot_test (label unit).
Behaviour, not pixels: files exist and parse, exit codes and messages, the data summarised.
"""

import importlib.util
import json
import os
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


class PlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One scratch directory for the whole class, removed at the end: matplotlib's config and
        # font cache go there too, so nothing is left in /tmp or $HOME.
        cls.scratch = tempfile.TemporaryDirectory(prefix="plot_test-")
        cls.env = dict(os.environ, MPLCONFIGDIR=os.path.join(cls.scratch.name, "mpl"))

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=self.scratch.name)

    def run_plot(self, *args):
        return subprocess.run(["/usr/bin/python3", PLOT, *args], capture_output=True, text=True,
                              env=self.env, cwd=self.tmp, timeout=120)

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
        self.assertEqual([r[1] for r in rows], sorted(r[1] for r in rows))
        name, change, _ = next(r for r in rows if r[0] == "null/read/procs:1")
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
