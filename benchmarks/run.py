"""``make bench``: every benchmark, each in its own process, joined into one table.

Each ``bench_*.py`` times its contenders interleaved (A B C A B C …, several rounds) and reports
``min (median)``; a contender that is not installed (GAPIC, google-genai: test and benchmark
only) shows "not installed" instead of failing the run. Ratios are against the strongest fair
baseline named in the row. Bounded: a few minutes in all on a 2-core machine.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import from_json, package_versions, table

HERE = Path(__file__).resolve().parent
ORDER = ["bench_cold_start", "bench_call_overhead", "bench_async_fanout", "bench_listing", "bench_json_codec",
         "bench_server"]


def main() -> None:
    """Run the benchmarks named on the command line (default: all) and print one table."""
    names = sys.argv[1:] or ORDER
    rows = []
    started = time.perf_counter()
    for name in names:
        began = time.perf_counter()
        out = subprocess.run([sys.executable, str(HERE / f"{name}.py"), "--json"], capture_output=True, text=True, check=False)
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"{name} failed")
        rows.extend(from_json(json.loads(out.stdout.splitlines()[-1])))
        print(f"{name}: {time.perf_counter() - began:.0f} s", file=sys.stderr)
    print(f"Python {platform.python_version()}, {package_versions()}; "
          f"min (median) of interleaved rounds; {time.perf_counter() - started:.0f} s in all\n")
    print(table(rows))


if __name__ == "__main__":
    main()
