"""Tables and goal ratios of the ledger benches (issue 5).

    python3 bench/ledger/report.py import RUN_DIR TAG...   (bench/ledger_import.sh)
    python3 bench/ledger/report.py dashboard RUN_DIR       (bench/ledger_dashboard.sh)
"""

import json
import pathlib
import sys


def load(path):
    return json.loads(path.read_text()) if path.exists() else None


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def goal(what, value, ok, target):
    if value is None:
        return f"  {what}: not measured"
    return f"  {what}: {value}  ({'meets' if ok else 'MISSES'} the goal of {target})"


def import_table(run, tags):
    rss_by_mode = {}
    for tag in tags:
        d = run / tag
        info = load(run / f"{tag}.file.json") or {}
        limit = {c["case"]: c for c in (load(d / "limit.json") or {}).get("cases", [])}
        pandas = load(d / "pandas.json")
        eds = {m: load(d / f"elasticdash-{m}.json") for m in ("embedded", "clickhouse")}
        mib = info.get("bytes", 0) / 1048576
        print(f"\n{tag}: {info.get('rows', '?')} rows, {mib:.0f} MiB")
        print(f"  {'system':<54}{'seconds':>9}{'rows/s':>11}{'peak RSS MiB':>14}   notes")
        rows = [
            ("bare reader (csv / calamine cells, no mapping)", limit.get("reader"), ""),
            ("ledger crate parse (map + validate), no insert", limit.get("parse"), ""),
            ("(a) limit: parse + raw SQLite insert", limit.get("sqlite"), "rusqlite prepared, tx per batch"),
            ("(a) limit: parse + raw ClickHouse insert", limit.get("clickhouse"), "RowBinary/HTTP, 1M rows per INSERT"),
            ("(b) seed: pandas + PostgreSQL COPY", pandas,
             pandas and f"read {pandas['read_secs']:.1f} s + COPY {pandas['insert_secs']:.1f} s"),
        ]
        for mode in ("embedded", "clickhouse"):
            r = eds[mode]
            note = r and (f"upload {r['upload_secs']:.1f} s, analyse {r['analyse_secs']:.1f} s, import {r['import_secs']:.1f} s"
                          + ("" if r.get("status") == "completed" else f"; ended {r.get('status')}: {r.get('error')}"))
            rows.append((f"(c) ElasticDash {mode} (first chunk -> completed)", r, note))
            if r and r.get("status") == "completed":
                rss_by_mode.setdefault(mode, []).append((tag, info.get("bytes", 0), r["peak_rss_mib"]))
        for label, r, note in rows:
            if r is None:
                print(f"  {label:<54}{'n/a':>9}")
                continue
            print(f"  {label:<54}{fmt(r.get('secs'), '9.2f')}{fmt(r.get('rows_per_sec'), '11.0f')}"
                  f"{fmt(r.get('peak_rss_mib'), '14.1f')}   {note or ''}")
        print("  ratios (same file, same run):")
        for mode, limit_case in (("embedded", "sqlite"), ("clickhouse", "clickhouse")):
            r = eds[mode]
            done = r and r.get("status") == "completed"
            speedup = pandas["secs"] / r["secs"] if done and pandas else None
            print(goal(f"ElasticDash {mode} vs pandas + PostgreSQL, times faster",
                       None if speedup is None else f"{speedup:.1f}x", speedup is not None and speedup >= 10, ">= 10x"))
            lim = limit.get(limit_case)
            slower = r["secs"] / lim["secs"] if done and lim else None
            print(goal(f"ElasticDash {mode} time / limit ({limit_case})",
                       None if slower is None else f"{slower:.2f}x", slower is not None and slower <= 1.5, "<= 1.5x"))
    print("\npeak RSS of the ElasticDash server by file size (goal: bounded, independent of the file's size):")
    if not rss_by_mode:
        print("  not measured")
    for mode, items in rss_by_mode.items():
        line = ", ".join(f"{tag} ({b / 1048576:.0f} MiB): {rss:.0f} MiB" for tag, b, rss in items)
        print(f"  {mode}: {line}")
        if len(items) > 1:
            small, big = min(items, key=lambda x: x[1]), max(items, key=lambda x: x[1])
            if big[1] > small[1]:
                print(f"    file {big[1] / small[1]:.1f}x larger -> peak RSS {big[2] / small[2]:.2f}x")


def dashboard_table(run):
    data = load(run / "dashboard.json")
    if not data:
        sys.exit(f"no dashboard.json in {run}")
    print(f"\nClickHouse: {data['rows']} ledger rows loaded through insert_ledger_rows in {data['load_secs']:.0f} s"
          f" ({data['rows'] / max(data['load_secs'], 1e-9):.0f} rows/s)")
    print(f"  {'filter':<52}{'rows':>10}{'runs':>6}{'dash p50':>10}{'p95 ms':>8}{'bare p50':>10}{'p95 ms':>8}"
          f"{'p50 ratio':>11}{'p95 ratio':>11}{'bare+visible p50':>18}")
    worst = None
    for f in data["filters"]:
        d, b = f["dashboard"], f["bare"]
        r50, r95 = d["p50_ms"] / b["p50_ms"], d["p95_ms"] / b["p95_ms"]
        worst = max(worst or 0, r50)
        print(f"  {f['name']:<52}{f['rows']:>10}{f['runs']:>6}{d['p50_ms']:>10.1f}{d['p95_ms']:>8.1f}{b['p50_ms']:>10.1f}"
              f"{b['p95_ms']:>8.1f}{r50:>10.2f}x{r95:>10.2f}x{f['bare_visible']['p50_ms']:>18.1f}")
    print("  dashboard = services::ledger_dashboard::open_dashboard (project check, 5 totals queries, 7 filter-value queries);")
    print(f"  bare = the same {data['filters'][0]['bare_queries'] if data['filters'] else '?'} aggregates as plain SQL over HTTP,"
          " one after the other, without import visibility or overflow checks")
    print("  bare+visible = the bare queries with the store's committed-import condition added (where the gap comes from)")
    print(goal("worst p50 ratio dashboard / bare", None if worst is None else f"{worst:.2f}x",
               worst is not None and worst <= 1.3, "<= 1.3x"))


if __name__ == "__main__":
    kind, run = sys.argv[1], pathlib.Path(sys.argv[2])
    if kind == "import":
        import_table(run, sys.argv[3:])
    elif kind == "dashboard":
        dashboard_table(run)
    else:
        sys.exit(f"unknown report {kind}")
