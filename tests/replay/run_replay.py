#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Capture-replay tests: run wirecheck on every tests/pcap/<case>/ and compare
its events.json with the case's expected.json.

usage: run_replay.py BUILD_DIR [CASE...] [--keep DIR] [--timeout S]

For each case: BUILD_DIR/wirecheck -r input.pcap|input.pcapng -o OUT [args]
must exit 0 within the timeout and write OUT/events.json whose every line is
a JSON object, exactly one of them the stats event.  Then:
  - every leaf of expected "stats" must equal the stats event's value at the
    same path (a key missing from the stats counts as 0 only for integer
    leaves under "anomalies" and "malformed");
  - "anomaly_event_counts": exact number of anomaly events of each type;
  - "anomaly_events": each listed object must match some anomaly event on
    all its keys ("type" is event["anomaly"]["type"], the rest top-level);
  - keys ending in "_informative" are printed, never failed on
    ("malformed_reasons_informative" against stats.malformed,
    "anomalies_informative" against stats.anomalies).
Prints "PASS case" or "FAIL case: ..." per case, then
"replay: N passed, M failed"; exit status 1 when any case failed.
Standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCAP_DIR = os.path.join(os.path.dirname(HERE), "pcap")
ZERO_WHEN_MISSING = ("anomalies", "malformed")


def find_input(case_dir):
    for name in ("input.pcap", "input.pcapng"):
        p = os.path.join(case_dir, name)
        if os.path.exists(p):
            return p
    return None


def read_events(path):
    """Return (events, problems): every line must be one JSON object."""
    events, problems = [], []
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return [], ["events.json is not UTF-8: %s" % e]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            problems.append("events.json line %d is not valid JSON (%s): %.120r"
                            % (n, e, line))
            continue
        if not isinstance(ev, dict):
            problems.append("events.json line %d is not a JSON object" % n)
            continue
        events.append(ev)
    return events, problems


def leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, path + (k,))
    else:
        yield path, obj


def lookup(obj, path):
    for k in path:
        if not isinstance(obj, dict) or k not in obj:
            return False, None
        obj = obj[k]
    return True, obj


def same(a, b):
    # JSON has one number type: 3 == 3.0, but True is not 1
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def compare_stats(expected, stats):
    out = []
    for path, want in leaves(expected):
        found, got = lookup(stats, path)
        if not found:
            if (path[0] in ZERO_WHEN_MISSING and isinstance(want, int)
                    and not isinstance(want, bool)):
                got, found = 0, True
            else:
                out.append("stats.%s: expected %s, got <missing>"
                           % (".".join(path), json.dumps(want)))
                continue
        if not same(want, got):
            out.append("stats.%s: expected %s, got %s"
                       % (".".join(path), json.dumps(want), json.dumps(got)))
    return out


def anomaly_type(ev):
    a = ev.get("anomaly")
    return a.get("type") if isinstance(a, dict) else None


def event_matches(want, ev):
    for k, v in want.items():
        if k == "type":
            if anomaly_type(ev) != v:
                return False
        elif k not in ev or not same(ev[k], v):
            return False
    return True


def near_misses(want, anomalies):
    """Events of the same type and pcap_cnt: shown when no event matched."""
    out = []
    for ev in anomalies:
        if anomaly_type(ev) == want.get("type") and ev.get("pcap_cnt") == want.get("pcap_cnt"):
            diff = {k: ev.get(k, "<missing>") for k in want if k != "type"
                    and not same(ev.get(k), want[k])}
            out.append(json.dumps(diff, sort_keys=True))
    return out


def informative(exp, stats):
    lines = []
    for key, section in (("malformed_reasons_informative", "malformed"),
                         ("anomalies_informative", "anomalies")):
        for name, want in (exp.get(key) or {}).items():
            got = (stats.get(section) or {}).get(name, 0)
            mark = "ok" if same(want, got) else "differs"
            lines.append("%s.%s: expected %s, got %s (%s, informative)"
                         % (section, name, json.dumps(want), json.dumps(got), mark))
    return lines


def run_case(wirecheck, name, case_dir, outdir, timeout):
    """Return (problems, info_lines)."""
    with open(os.path.join(case_dir, "expected.json")) as f:
        exp = json.load(f)
    inp = find_input(case_dir)
    if inp is None:
        return ["no input.pcap or input.pcapng in %s" % case_dir], []
    cmd = [wirecheck, "-r", inp, "-o", outdir] + [str(a) for a in exp.get("args", [])]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return ["timed out after %g s: %s" % (timeout, " ".join(cmd))], []
    except OSError as e:
        return ["cannot run %s: %s" % (wirecheck, e)], []
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return ["exit status %d (want 0): %s; stderr: %s"
                % (proc.returncode, " ".join(cmd), " | ".join(err))], []
    ev_path = os.path.join(outdir, "events.json")
    if not os.path.exists(ev_path):
        return ["no events.json in the output directory"], []
    events, problems = read_events(ev_path)
    stats_events = [e for e in events if e.get("event_type") == "stats"]
    if len(stats_events) != 1:
        problems.append("%d stats events (want exactly 1)" % len(stats_events))
        if not stats_events:
            return problems, []
    stats = stats_events[-1]
    problems += compare_stats(exp.get("stats", {}), stats)
    anomalies = [e for e in events if e.get("event_type") == "anomaly"]
    for typ, want in (exp.get("anomaly_event_counts") or {}).items():
        got = sum(1 for e in anomalies if anomaly_type(e) == typ)
        if got != want:
            problems.append("anomaly_event_counts.%s: expected %d, got %d" % (typ, want, got))
    for i, want in enumerate(exp.get("anomaly_events") or []):
        if not any(event_matches(want, e) for e in anomalies):
            msg = "anomaly_events[%d] not found: %s" % (i, json.dumps(want))
            nm = near_misses(want, anomalies)
            if nm:
                msg += " (same type and pcap_cnt, differing: %s)" % "; ".join(nm[:3])
            problems.append(msg)
    return problems, informative(exp, stats)


def main():
    ap = argparse.ArgumentParser(description="wirecheck capture-replay tests")
    ap.add_argument("build_dir")
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--keep", metavar="DIR", help="keep each case's output in DIR/<case>")
    ap.add_argument("--pcap-dir", default=PCAP_DIR, help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds per wirecheck run (default 60)")
    a = ap.parse_args()

    wirecheck = os.path.join(a.build_dir, "wirecheck")
    if a.cases:
        names = list(a.cases)
    else:
        names = sorted(d for d in os.listdir(a.pcap_dir)
                       if os.path.exists(os.path.join(a.pcap_dir, d, "expected.json")))
    if not names:
        print("FAIL: no cases with expected.json under %s" % a.pcap_dir)
        print("replay: 0 passed, 1 failed")
        return 1
    if not os.access(wirecheck, os.X_OK):
        print("WARNING: %s is missing or not executable" % wirecheck)

    passed = failed = 0
    for name in names:
        case_dir = os.path.join(a.pcap_dir, name)
        if not os.path.exists(os.path.join(case_dir, "expected.json")):
            print("FAIL %s: no such case (%s/expected.json)" % (name, case_dir))
            failed += 1
            continue
        if a.keep:
            outdir = os.path.join(a.keep, name)
            if os.path.isdir(outdir):
                shutil.rmtree(outdir)
            os.makedirs(outdir)
            tmp = None
        else:
            tmp = outdir = tempfile.mkdtemp(prefix="wirecheck-replay-%s-" % name)
        try:
            problems, info = run_case(wirecheck, name, case_dir, outdir, a.timeout)
        except (OSError, ValueError) as e:
            problems, info = ["runner error: %s" % e], []
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        if problems:
            failed += 1
            print("FAIL %s: %d mismatch%s" % (name, len(problems),
                                             "es" if len(problems) > 1 else ""))
            for p in problems:
                print("    %s" % p)
        else:
            passed += 1
            print("PASS %s" % name)
        for line in info:
            print("    info: %s" % line)
    print("replay: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
