"""The seed design of bench/ledger_import.sh (issue 5): pandas reads the whole file
(`read_excel` with openpyxl / `read_csv`), maps the ledger columns, then bulk-inserts the rows into
PostgreSQL with COPY (the fastest bulk path psycopg offers; executemany would be slower still).

    python pandas_pg.py FILE --pg-url postgres://... [--json-out OUT.json]

Timed: from opening the file to the COPY's commit (the rows queryable). Peak RSS is this
process's (ru_maxrss). Prints one JSON object.
"""

import argparse
import io
import json
import resource
import sys
import time

import pandas as pd
import psycopg

TABLE = "ledger_rows_seed"
# The generated files' headers (crates/ledger/src/testdata.rs) → the ledger's columns.
COLUMNS = {
    "Company Code": "company_code",
    "Entity Name": "entity",
    "Region": "region",
    "Department": "department",
    "Division": "division",
    "Acct Group": "account_group",
    "GL Account": "account_code",
    "Account Name": "account_name",
    "Posting Date": "date",
    "Debit": "debit",
    "Credit": "credit",
    "Currency": "currency",
    "Memo": "description",
}
OUT = [
    "project_id", "dataset_id", "import_id", "row_number", "company_code", "entity", "region", "department", "division",
    "account_group", "account_code", "account_name", "date", "month", "debit", "credit", "balance", "currency", "description",
]
# The same shape as ElasticDash's ledger_rows; money as exact NUMERIC.
DDL = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE UNLOGGED TABLE {TABLE} (
    project_id TEXT NOT NULL, dataset_id TEXT NOT NULL, import_id TEXT NOT NULL, row_number BIGINT NOT NULL,
    company_code TEXT NOT NULL, entity TEXT NOT NULL, region TEXT NOT NULL, department TEXT NOT NULL,
    division TEXT NOT NULL, account_group TEXT NOT NULL, account_code TEXT NOT NULL, account_name TEXT NOT NULL,
    date TEXT NOT NULL, month INTEGER NOT NULL, debit NUMERIC(20, 4) NOT NULL, credit NUMERIC(20, 4) NOT NULL,
    balance NUMERIC(20, 4) NOT NULL, currency TEXT NOT NULL, description TEXT NOT NULL
);
CREATE INDEX {TABLE}_import_month ON {TABLE} (project_id, dataset_id, import_id, month);
"""
COPY_ROWS = 100_000
TEXT_DTYPES = {"GL Account": str, "Company Code": str}
TEXT_OUT = ["company_code", "entity", "region", "department", "division", "account_group", "account_code",
            "account_name", "date", "currency", "description"]


def load(path):
    if path.endswith((".xlsx", ".xls", ".ods")):
        # Codes like "4000" stay text; "NA" (North America) must not become a missing value.
        df = pd.read_excel(path, engine="openpyxl" if path.endswith(".xlsx") else None,
                           dtype=TEXT_DTYPES, keep_default_na=False, na_values=[""])
    else:
        df = pd.read_csv(path, dtype=TEXT_DTYPES, keep_default_na=False, na_values=[""])
    df = df.rename(columns=COLUMNS)
    dates = pd.to_datetime(df["date"])
    df["date"] = dates.dt.strftime("%Y-%m-%d")
    df["month"] = dates.dt.year * 100 + dates.dt.month
    df["debit"] = df["debit"].fillna(0)
    df["credit"] = df["credit"].fillna(0)
    df["balance"] = df["debit"] - df["credit"]
    df["row_number"] = range(2, len(df) + 2)
    df["project_id"] = "seed-project"
    df["dataset_id"] = "seed-dataset"
    df["import_id"] = "seed-import"
    for c in ("company_code", "entity", "region", "department", "division", "account_group", "account_code",
              "account_name", "currency", "description"):
        df[c] = df[c].fillna("")
    return df[OUT]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--pg-url", required=True)
    p.add_argument("--json-out")
    args = p.parse_args()

    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        conn.execute(DDL)

    started = time.perf_counter()
    df = load(args.file)
    parsed = time.perf_counter()
    with psycopg.connect(args.pg_url) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY {TABLE} ({', '.join(OUT)}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({', '.join(TEXT_OUT)}))") as copy:
                for i in range(0, len(df), COPY_ROWS):
                    buf = io.StringIO()
                    df.iloc[i:i + COPY_ROWS].to_csv(buf, header=False, index=False, float_format="%.4f")
                    copy.write(buf.getvalue())
        conn.commit()
    done = time.perf_counter()
    with psycopg.connect(args.pg_url) as conn:
        stored = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        conn.execute(f"DROP TABLE {TABLE}")
    if stored != len(df):
        sys.exit(f"read {len(df)} rows, PostgreSQL holds {stored}")
    result = {
        "label": "pandas-postgresql",
        "file": args.file,
        "rows": int(stored),
        "secs": done - started,
        "read_secs": parsed - started,
        "insert_secs": done - parsed,
        "rows_per_sec": stored / (done - started),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pandas": pd.__version__,
        "psycopg": psycopg.__version__,
    }
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
