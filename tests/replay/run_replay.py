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
    all its keys ("type" is event["anomaly"]["type"], the rest top-level;
    an object value, e.g. "anomaly": {"stall_ms": ...}, is matched leaf by
    leaf against the event's object);
  - "flows": each listed record must match a `flow` event: the candidates
    are the flow events equal on the record's src_ip, src_port, dest_ip,
    dest_port and proto (those it gives), and one of them must equal every
    other leaf of the record ("flow": {"pkts_toserver": ...}, "tcp": {...});
  - "absent_anomalies": types with no anomaly event and a stats count of 0
    (or none);
  - anywhere in "anomaly_events" and "flows", a numeric leaf may be given
    as {"min": a, "max": b}: a <= value <= b (timings);
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
FLOW_KEY = ("src_ip", "src_port", "dest_ip", "dest_port", "proto")


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


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_range(v):
    """{"min": a, "max": b}: an expected numeric leaf given as a range."""
    return (isinstance(v, dict) and set(v) == {"min", "max"}
            and is_number(v["min"]) and is_number(v["max"]))


def leaves(obj, path=()):
    if isinstance(obj, dict) and not is_range(obj):
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


def leaf_matches(want, got):
    if is_range(want):
        return is_number(got) and want["min"] <= got <= want["max"]
    return same(want, got)


def object_diffs(want, got, prefix=""):
    """Every leaf of want that got does not match: ["path: expected, got"]."""
    out = []
    for path, w in leaves(want):
        found, g = lookup(got, path)
        if not found or not leaf_matches(w, g):
            out.append("%s%s: expected %s, got %s" % (prefix, ".".join(path), json.dumps(w),
                                                      json.dumps(g) if found else "<missing>"))
    return out


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
        elif k not in ev:
            return False
        elif isinstance(v, dict) and not is_range(v):
            if not isinstance(ev[k], dict) or object_diffs(v, ev[k]):
                return False
        elif not leaf_matches(v, ev[k]):
            return False
    return True


def near_misses(want, anomalies):
    """Events of the same type (and pcap_cnt, when given): shown when no
    event matched."""
    out = []
    for ev in anomalies:
        if anomaly_type(ev) != want.get("type"):
            continue
        if "pcap_cnt" in want and ev.get("pcap_cnt") != want["pcap_cnt"]:
            continue
        rest = {k: v for k, v in want.items() if k != "type"}
        out.append("; ".join(object_diffs(rest, ev)))
    return out


def compare_flows(expected, flow_events):
    out = []
    for i, want in enumerate(expected):
        key = {k: want[k] for k in FLOW_KEY if k in want}
        name = "flows[%d] %s" % (i, json.dumps(key))
        cands = [e for e in flow_events if all(same(e.get(k), v) for k, v in key.items())]
        if not cands:
            out.append("%s: no flow event with this key (%d flow events)"
                       % (name, len(flow_events)))
            continue
        best = None
        for ev in cands:
            d = object_diffs(want, ev)
            if not d:
                break
            if best is None or len(d) < len(best):
                best = d
        else:
            out.append("%s: %s" % (name, "; ".join(best)))
    return out


TSHARK_TCP = {
    "retransmissions": "tcp.analysis.retransmission || tcp.analysis.fast_retransmission"
                       " || tcp.analysis.spurious_retransmission",
    "fast_retransmissions": "tcp.analysis.fast_retransmission",
    "dup_acks": "tcp.analysis.duplicate_ack",
    "zero_windows": "tcp.analysis.zero_window",
    "zero_window_probes": "tcp.analysis.zero_window_probe",
    "out_of_order": "tcp.analysis.out_of_order",
    "keepalives": "tcp.analysis.keep_alive",
    # Wireshark flags a spurious retransmission "retransmission" too: RTO is
    # every retransmission that is not fast, as wirecheck counts it
    "rto_retransmissions": "(tcp.analysis.retransmission || tcp.analysis.spurious_retransmission)"
                           " && !tcp.analysis.fast_retransmission",
    "window_full": "tcp.analysis.window_full",
    "spurious_retransmissions": "tcp.analysis.spurious_retransmission",
}


def tshark_count(path, display_filter):
    """Frames of PATH that tshark's display filter selects (raises
    OSError/CalledProcessError when tshark cannot run)."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", display_filter],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for l in out.splitlines() if l.strip())


def tcp_sum(flow_events, key):
    """A tcp counter summed over flow records (the tshark comparison's side)."""
    return sum((f.get("tcp") or {}).get(key) or 0 for f in flow_events)


def tshark_pairs(path, counters, flow_events):
    """(counter, wirecheck's sum over the flow records, tshark's frame count
    on PATH) for each TSHARK_TCP counter named: the one comparison the
    replay, corpus and kernel tests make."""
    return [(k, tcp_sum(flow_events, k), tshark_count(path, TSHARK_TCP[k])) for k in counters]


def compare_tshark(path, counters, flow_events):
    """The sums of the flow records' tcp counters must equal tshark's
    tcp.analysis.* frame counts on the same capture, measured now."""
    try:
        pairs = tshark_pairs(path, counters, flow_events)
    except (OSError, subprocess.CalledProcessError) as e:
        return ["tshark comparison impossible (%s): scripts/setup.sh installs tshark" % e]
    return ["tshark_tcp.%s: wirecheck %d, tshark %d" % (k, ours, theirs)
            for k, ours, theirs in pairs if ours != theirs]


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
                msg += " (same type%s, differing: %s)" % (
                    " and pcap_cnt" if "pcap_cnt" in want else "", " | ".join(nm[:3]))
            problems.append(msg)
    for typ in exp.get("absent_anomalies") or []:
        n_ev = sum(1 for e in anomalies if anomaly_type(e) == typ)
        n_st = (stats.get("anomalies") or {}).get(typ, 0)
        if n_ev or n_st:
            problems.append("absent_anomalies: %s has %d events, stats count %s (want none)"
                            % (typ, n_ev, json.dumps(n_st)))
    if "flows" in exp:
        problems += compare_flows(exp["flows"],
                                  [e for e in events if e.get("event_type") == "flow"])
    if exp.get("tshark_tcp"):
        problems += compare_tshark(inp, exp["tshark_tcp"],
                                   [e for e in events if e.get("event_type") == "flow"])
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
