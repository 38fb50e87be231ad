"""`python -m bench` (`make bench`): run every benchmark and write bench/results.md with a table and plots."""

import argparse
import datetime
import importlib
import os
import platform
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
#: Each module exposes ``run() -> list of rows`` built with :func:`bench.timing.row`.
BENCHMARKS = ["bench.kernels", "bench.notebooks", "bench.explorer_latency", "bench.grading"]


def _verdict(met):
    return "–" if met is None else "yes" if met else "**no**"


def _colour(met):
    return "tab:grey" if met is None else "tab:green" if met else "tab:red"


def render(results, plot_path, notes=()):
    lines = [
        "# Benchmark results",
        "",
        f"Run on {datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Each ratio divides two measurements taken in the same run.",
        "",
        "| benchmark | measured | baseline | measured / baseline | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for module, rows in results.items():
        for r in rows:
            lines.append(
                f"| {r['name']} | {r['value']:.4g} {r['unit']} | {r['baseline']:.4g} {r['unit']} | "
                f"{r['ratio']:.3g} | {r['goal']} | {_verdict(r['met'])} |"
            )
    lines += ["", f"![ratios against their goals]({plot_path.name})", ""]
    lines += [text for text in notes if text]
    return "\n".join(lines)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for module_rows in results.values() for r in module_rows]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
    names = [r["name"] for r in rows]
    ratios = [r["ratio"] for r in rows]
    ax.barh(names, ratios, color=[_colour(r["met"]) for r in rows])
    ax.set_xscale("log")
    ax.set_xlabel("measured / baseline (green: goal met, red: missed, grey: context; goals in results.md)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args(argv)
    results, notes = {}, []
    for name in args.only or BENCHMARKS:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(name)
        results[name] = module.run()
        # A benchmark may add prose (a profile, a fitted model) below the table.
        notes.append(getattr(module, "notes", lambda: "")())
    plot_path = BENCH_DIR / "results.png"
    plot(results, plot_path)
    (BENCH_DIR / "results.md").write_text(render(results, plot_path, notes), encoding="utf-8")
    print(f"wrote {BENCH_DIR / 'results.md'}")


if __name__ == "__main__":
    main()
