#!/usr/bin/python3
"""TCP analysis on the peer corpus: expectations from the peers' baselines
(tests/replay/corpus_tcp.json) and counters compared with tshark's
tcp.analysis.* on the same file in the same run.

usage: run_corpus_tcp.py BUILD_DIR [CORPUS_DIR]
Exit 77 (skip) with a loud message when the corpus is absent."""
import json, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from run_replay import tshark_pairs  # noqa: E402


def dotted(obj, path):
    for k in path.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj


def main():
    build = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(ROOT), "shared", "corpus")
    if not os.path.isdir(corpus):
        print("SKIP: peer corpus not found at %s — TCP conformance NOT checked" % corpus)
        return 77
    if not shutil.which("tshark"):
        print("FAIL: tshark is needed for the comparison (scripts/setup.sh installs it)")
        print("corpus-tcp: 0 passed, 1 failed")
        return 1
    cases = json.load(open(os.path.join(HERE, "corpus_tcp.json")))
    passed = failed = 0
    for name, exp in cases.items():
        if name.startswith("_"):
            continue
        path = os.path.join(corpus, name)
        out = tempfile.mkdtemp(prefix="wc-tcp-")
        errs = []
        try:
            r = subprocess.run([os.path.join(build, "wirecheck"), "-q", "-r", path, "-o", out],
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                errs.append("exit %d: %s" % (r.returncode, r.stderr.strip()[-200:]))
            else:
                ev = [json.loads(l) for l in open(os.path.join(out, "events.json"))]
                flows = [e for e in ev if e["event_type"] == "flow"]
                stats = [e for e in ev if e["event_type"] == "stats"][-1]
                for want in exp.get("flows", []):
                    if not any(all(dotted(f, k) == v for k, v in want.items()) for f in flows):
                        got = [{k: dotted(f, k) for k in want} for f in flows][:3]
                        errs.append("no flow matches %s (got %s)" % (want, got))
                for k, v in exp.get("stats", {}).items():
                    if dotted(stats, k) != v:
                        errs.append("stats %s: want %s got %s" % (k, v, dotted(stats, k)))
                cmp = []
                for k, ours, theirs in tshark_pairs(path, exp.get("tshark", []), flows):
                    cmp.append("%s %d/%d" % (k, ours, theirs))
                    if ours != theirs:
                        errs.append("%s: wirecheck %d, tshark %d" % (k, ours, theirs))
                if cmp:
                    print("     %s vs tshark (ours/theirs): %s" % (name, ", ".join(cmp)))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if errs:
            failed += 1
            print("FAIL %s (%s): %s" % (name, exp.get("peer", ""), "; ".join(errs)))
        else:
            passed += 1
            print("PASS %s (%s)" % (name, exp.get("peer", "")))
        if "why" in exp:
            print("     note: %s" % exp["why"])
    print("corpus-tcp: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
