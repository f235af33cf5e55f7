#!/usr/bin/env python3
"""Times a reference command and haexplain on the same input with hyperfine, in alternating
rounds, so a load that comes and goes on a shared machine lands on both sides alike.

    compare.py LABEL TARGET 'REFERENCE COMMAND' 'HAEXPLAIN COMMAND' [rounds] [runs per round]

Prints one line: both medians over every run and the ratio haexplain/reference.
COMPARE_IGNORE_FAILURE=1 times commands that exit non-zero (keepalived -t on a configuration
it warns about).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def main():
    label, target, reference, haexplain = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 6
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    times = {reference: [], haexplain: []}
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        for round_number in range(rounds):
            # Each round starts with the other command, so neither always runs first.
            order = [reference, haexplain] if round_number % 2 == 0 else [haexplain, reference]
            ignore = ["--ignore-failure"] if os.environ.get("COMPARE_IGNORE_FAILURE") == "1" else []
            subprocess.run(["hyperfine", "-N", *ignore, "--warmup", "2", "--runs", str(runs), "--export-json", export.name, *order],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for result in json.load(open(export.name))["results"]:
                times[result["command"]].extend(result["times"])
    ref = statistics.median(times[reference]) * 1000
    hx = statistics.median(times[haexplain]) * 1000
    print(f"{label}: reference {ref:.1f} ms, haexplain {hx:.1f} ms, median ratio haexplain/reference = {hx / ref:.2f}x "
          f"(target {target}; {rounds} alternating rounds of {runs} runs each)")


if __name__ == "__main__":
    main()
