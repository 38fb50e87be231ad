"""`python -m bench` (`make bench`): run every benchmark and write bench/results.md with a table and plots.

Every module's rows and notes are also kept in bench/results.json with the time they were measured, so
``python -m bench --only bench.kernels`` reruns one benchmark (the grading one takes most of an hour) and
rewrites results.md with the others' last measurements, each dated.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_JSON = BENCH_DIR / "results.json"
#: Each module exposes ``run() -> list of rows`` built with :func:`bench.timing.row`.
BENCHMARKS = ["bench.kernels", "bench.notebooks", "bench.explorer_latency", "bench.grading", "bench.safety",
              "bench.gradescope", "bench.intake", "bench.similarity", "bench.lite"]


def _verdict(met):
    return "–" if met is None else "yes" if met else "**no**"


def _colour(met):
    return "tab:grey" if met is None else "tab:green" if met else "tab:red"


def render(results, plot_path):
    """results.md from ``{module: {"measured": ..., "rows": [...], "notes": str}}``."""
    lines = [
        "# Benchmark results",
        "",
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. Each ratio divides two "
        "measurements taken in the same run of its benchmark. Measured: "
        + "; ".join(f"`{module}` {entry['measured']}" for module, entry in results.items()) + ".",
        "",
        "| benchmark | measured | baseline | measured / baseline | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for entry in results.values():
        for r in entry["rows"]:
            lines.append(
                f"| {r['name']} | {r['value']:.4g} {r['unit']} | {r['baseline']:.4g} {r['unit']} | "
                f"{r['ratio']:.3g} | {r['goal']} | {_verdict(r['met'])} |"
            )
    lines += ["", f"![ratios against their goals]({plot_path.name})", ""]
    lines += [entry["notes"] for entry in results.values() if entry["notes"]]
    return "\n".join(lines)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for entry in results.values() for r in entry["rows"]]
    fig, ax = plt.subplots(figsize=(14, 0.4 * len(rows) + 1.5))
    positions = range(len(rows))
    ax.barh(positions, [r["ratio"] for r in rows], color=[_colour(r["met"]) for r in rows])
    # A goal on the ratio is drawn where it lies; budgets in seconds are in the table only.
    for position, r in zip(positions, rows):
        if r["goal"].startswith("ratio"):
            ax.plot([float(r["goal"].split()[-1])] * 2, [position - 0.4, position + 0.4], color="black", lw=2)
    ax.set_yticks(list(positions), [r["name"] for r in rows], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("measured / baseline (green: goal met, red: missed, grey: context; black bar: the goal)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS,
                        help="benchmark modules to run (default: all); the others keep their stored results")
    args = parser.parse_args(argv)
    stored = json.loads(RESULTS_JSON.read_text(encoding="utf-8")) if args.only and RESULTS_JSON.exists() else {}
    for name in args.only or BENCHMARKS:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(name)
        rows = module.run()
        # A benchmark may add prose (a profile, a fitted model) below the table.
        stored[name] = {"measured": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "rows": rows,
                        "notes": getattr(module, "notes", lambda: "")()}
    results = {name: stored[name] for name in BENCHMARKS if name in stored}
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    plot_path = BENCH_DIR / "results.png"
    plot(results, plot_path)
    (BENCH_DIR / "results.md").write_text(render(results, plot_path), encoding="utf-8")
    print(f"wrote {BENCH_DIR / 'results.md'}")


if __name__ == "__main__":
    main()
