"""Tables and goal ratios from a bench run folder: python3 bench/report.py ingest|query DIR."""

import json
import pathlib
import sys


def load(run, name):
    path = run / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def ratio_line(what, num, den, goal, as_percent=False):
    if not num or not den or not den.get("items_per_sec"):
        return f"  {what}: not measured"
    r = num["items_per_sec"] / den["items_per_sec"]
    shown = f"{r * 100:.0f}%" if as_percent else f"{r:.1f}x"
    ok = "meets" if r >= goal else "MISSES"
    goal_shown = f"{goal * 100:.0f}%" if as_percent else f"{goal:g}x"
    return f"  {what}: {shown}  ({ok} the goal of >= {goal_shown})"


def ingest(run):
    rows = []
    for name in ["elasticdash-embedded", "elasticdash-clickhouse", "raw-clickhouse-insert", "phoenix"]:
        r = load(run, name)
        if r:
            rows.append(r)
    written = load(run, "phoenix-written")
    print()
    print(f"{'system':<34}{'items/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'per req':>9}{'rejected':>10}{'throttled':>10}{'errors':>8}")
    for r in rows:
        unit = "rows" if r["label"].startswith("raw") else "spans"
        print(
            f"{r['label'] + ' (' + unit + ')':<34}{r['items_per_sec']:>10.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['items_per_request']:>9.0f}{r['rejected']:>10}{r['throttled']:>10}{r['errors']:>8}"
        )
        if r.get("first_error"):
            print(f"    first error: {r['first_error']}")
    phoenix_written = None
    if written and written["secs_to_last_write"] > 0:
        phoenix_written = {"items_per_sec": written["written"] / written["secs_to_last_write"]}
        print(
            f"{'phoenix (written to SQLite)':<34}{phoenix_written['items_per_sec']:>10.0f}"
            f"   {written['written']} of {written['acked_all']} acknowledged spans written {written['secs_to_last_write']} s after the load began"
        )
    by = {r["label"]: r for r in rows}
    print("\nratios (same spans, same batch size and concurrency, one run):")
    print(ratio_line("ElasticDash embedded / Phoenix, acknowledged spans/s", by.get("elasticdash-embedded"), by.get("phoenix"), 10))
    print(ratio_line("ElasticDash embedded / Phoenix, spans/s actually written", by.get("elasticdash-embedded"), phoenix_written, 10))
    print(ratio_line("ElasticDash ClickHouse / raw ClickHouse insert", by.get("elasticdash-clickhouse"), by.get("raw-clickhouse-insert"), 0.5, True))


def query(run):
    data = load(run, "query")
    if not data:
        sys.exit(f"no query.json in {run}")
    for backend in data["backends"]:
        print(f"\n{backend['backend']}: {backend['spans']} spans in {backend['traces']} traces, loaded in {backend['load_secs']:.0f} s"
              f" ({backend['spans'] / max(backend['load_secs'], 1e-9):.0f} spans/s through insert_spans)")
        print(f"  {'query':<40}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'rows':>7}   {'bare SQL p50':>12}{'p95 ms':>9}   target")
        for q in backend["queries"]:
            target = q.get("target_ms")
            verdict = "" if target is None else ("ok" if q["p95_ms"] < target else "MISSED") + f" (< {target} ms)"
            bare = q.get("bare") or {}
            print(
                f"  {q['name']:<40}{q['runs']:>6}{q['p50_ms']:>9.1f}{q['p95_ms']:>9.1f}{q['rows']:>7}   "
                f"{bare.get('p50_ms', float('nan')):>12.1f}{bare.get('p95_ms', float('nan')):>9.1f}   {verdict}"
            )


if __name__ == "__main__":
    kind, run = sys.argv[1], pathlib.Path(sys.argv[2])
    {"ingest": ingest, "query": query}[kind](run)
