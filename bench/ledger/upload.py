"""ElasticDash end to end for bench/ledger_import.sh (issue 5): one file through the dataset upload
API of a running server, as the browser's island does it, timed from the first chunk to the
import's status "completed" (rows committed, so queryable), with the server's peak RSS.

    python3 upload.py FILE --base http://127.0.0.1:PORT --slug bench --cookies JAR --pid PID \
        --rows N --label elasticdash-embedded [--json-out OUT.json]

The API (src/http, dataset uploads):
  POST {base}/projects/{slug}/datasets/uploads  {"file_name", "size_bytes", "mode", "dataset_name"}
       → 201 {"import_id", "dataset_id", "chunk_size", "chunks_received", "bytes_received", "status"}
  PUT  .../uploads/{import_id}/chunks/{index}   raw bytes, chunk_size each but the last → 200
  POST .../uploads/{import_id}/complete         → 202 (analysing → mapping)
  POST .../uploads/{import_id}/mapping          {"mapping": null} (the proposed one) → 202
       (queued → importing → completed | failed)
  GET  .../uploads/{import_id}                  → {"status", "rows_read", "rows_accepted", "rows_rejected", "error"}
Cookie-authenticated POST/PUT carry `Origin: {base}` (the CSRF check).

Peak RSS: the server's VmHWM is reset (/proc/PID/clear_refs) just before the first chunk and
read when the import has completed; VmRSS is also sampled at every poll. Prints one JSON object.
"""

import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse

POLL_SECS = 0.05
TIMEOUT_SECS = float(os.environ.get("LEDGER_BENCH_IMPORT_TIMEOUT", "3600"))


def read_jar(path):
    """name → value from a curl cookie jar (Netscape format; HttpOnly lines are prefixed)."""
    cookies = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#HttpOnly_"):
                line = line[len("#HttpOnly_"):]
            elif not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) == 7:
                cookies[parts[5]] = parts[6]
    return cookies


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Client:
    def __init__(self, base, cookies):
        u = urllib.parse.urlsplit(base)
        self.base = base.rstrip("/")
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        self.cookies = cookies

    def request(self, method, path, body=None, content_type=None, expect=(200,)):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Origin": self.base, "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The keep-alive connection was closed by the server: reconnect once.
                self.conn.close()
                if attempt:
                    raise
        for name, value in r.getheaders():
            if name.lower() == "set-cookie":
                k, _, rest = value.partition("=")
                self.cookies[k.strip()] = rest.split(";", 1)[0]
        if r.status not in expect:
            raise SystemExit(f"{method} {path}: HTTP {r.status}: {data[:500].decode(errors='replace')}")
        return json.loads(data) if data else {}

    def json(self, method, path, payload, expect):
        return self.request(method, path, json.dumps(payload).encode(), "application/json", expect)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--base", required=True)
    p.add_argument("--slug", default="bench")
    p.add_argument("--cookies", required=True, help="curl cookie jar of a signed-in session")
    p.add_argument("--pid", type=int, required=True, help="the server process")
    p.add_argument("--rows", type=int, help="data rows the file holds (checked against rows_accepted)")
    p.add_argument("--label", default="elasticdash")
    p.add_argument("--json-out")
    args = p.parse_args()

    c = Client(args.base, read_jar(args.cookies))
    size = os.path.getsize(args.file)
    name = os.path.basename(args.file)
    uploads = f"/projects/{args.slug}/datasets/uploads"
    state = c.json("POST", uploads, {"file_name": name, "size_bytes": size, "mode": "create", "dataset_name": f"bench {name}"},
                   (200, 201))
    # The server's import object names its id `id`; the planned contract said `import_id`.
    import_id, chunk = state.get("import_id") or state["id"], int(state["chunk_size"])
    one = f"{uploads}/{urllib.parse.quote(str(import_id), safe='')}"

    idle_rss = status_kib(args.pid, "VmRSS")
    try:
        with open(f"/proc/{args.pid}/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    peak_sampled = idle_rss or 0

    def sample():
        nonlocal peak_sampled
        rss = status_kib(args.pid, "VmRSS")
        if rss:
            peak_sampled = max(peak_sampled, rss)

    t0 = time.perf_counter()
    with open(args.file, "rb") as f:
        index = 0
        while True:
            data = f.read(chunk)
            if not data:
                break
            c.request("PUT", f"{one}/chunks/{index}", data, "application/octet-stream", (200, 201))
            index += 1
            if index % 8 == 0:
                sample()
    t_uploaded = time.perf_counter()
    c.request("POST", f"{one}/complete", b"", "application/json", (200, 202))

    def wait_for(wanted):
        deadline = time.perf_counter() + TIMEOUT_SECS
        while True:
            s = c.request("GET", one)
            sample()
            if s.get("status") in wanted or s.get("status") == "failed":
                return s
            if time.perf_counter() > deadline:
                raise SystemExit(f"import {import_id} still {s.get('status')} after {TIMEOUT_SECS:.0f} s")
            time.sleep(POLL_SECS)

    s = wait_for({"mapping", "completed"})
    t_analysed = time.perf_counter()
    if s.get("status") == "mapping":
        c.json("POST", f"{one}/mapping", {"mapping": None}, (200, 202))
        s = wait_for({"completed"})
    t_done = time.perf_counter()
    peak = status_kib(args.pid, "VmHWM")
    result = {
        "label": args.label,
        "file": args.file,
        "bytes": size,
        "chunks": index,
        "chunk_size": chunk,
        "status": s.get("status"),
        "error": s.get("error"),
        "rows": s.get("rows_accepted"),
        "rows_read": s.get("rows_read"),
        "rows_rejected": s.get("rows_rejected"),
        "secs": t_done - t0,
        "upload_secs": t_uploaded - t0,
        "analyse_secs": t_analysed - t_uploaded,
        "import_secs": t_done - t_analysed,
        "rows_per_sec": (s.get("rows_accepted") or 0) / (t_done - t0),
        "peak_rss_mib": (peak / 1024 if peak and reset else max(peak or 0, peak_sampled) / 1024),
        "peak_rss_source": "VmHWM since the first chunk" if reset else "sampled VmRSS",
        "idle_rss_mib": (idle_rss or 0) / 1024,
    }
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=2)
    print(json.dumps(result))
    if s.get("status") != "completed":
        sys.exit(f"import {import_id} ended {s.get('status')}: {s.get('error')}")
    if args.rows is not None and s.get("rows_accepted") != args.rows:
        sys.exit(f"import {import_id} accepted {s.get('rows_accepted')} rows, the file holds {args.rows}")


if __name__ == "__main__":
    main()
