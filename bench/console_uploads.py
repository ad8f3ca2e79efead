#!/usr/bin/env python3
"""The operator console's all-uploads list with 10,000 uploads in the database.

Against a running stack (`onboard dev up`; ONBOARD_STACK_ENV names its
stack.env, default .dev/stack.env): seeds 10,000 upload_history rows
(four vendors, 70 % completed, 20 % partial, 8 % failed, 2 % processing, over
90 days) into the stack's database with psql, logs in as the stack's
operator, and times GET /api/admin/uploads (each answer also counts every
status and looks for failed and stuck uploads) in a few shapes, 50 calls
each, one at a time. Prints p50/p95/max per shape. The seeded rows are
removed at the end (`--keep` keeps them).

    python3 bench/console_uploads.py [--rows 10000] [--calls 50] [--keep]
"""

import argparse
import http.cookiejar
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request


def stack_env():
    path = os.environ.get("ONBOARD_STACK_ENV", ".dev/stack.env")
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


SEED = """
INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id,
                            total_records, valid_records, error_records, status,
                            upload_timestamp, started_at, parsed_at, validated_at, completed_at, notified_at)
SELECT format('UPLOAD_20000101_000000_%s', lpad(upper(to_hex(i)), 12, '0')),
       format('VEND00%s', 1 + i % 4),
       format('bench-%s.csv', i),
       'bench', format('uploads/VEND00%s/bench-%s.csv', 1 + i % 4, i), 'v1',
       100,
       CASE WHEN i % 50 < 35 THEN 100 WHEN i % 50 < 45 THEN 90 WHEN i % 50 < 49 THEN 0 ELSE 0 END,
       CASE WHEN i % 50 < 35 THEN 0 WHEN i % 50 < 45 THEN 10 WHEN i % 50 < 49 THEN 100 ELSE 0 END,
       CASE WHEN i % 50 < 35 THEN 'completed' WHEN i % 50 < 45 THEN 'partial' WHEN i % 50 < 49 THEN 'failed' ELSE 'processing' END,
       t, t, t + interval '1 s', t + interval '3 s',
       CASE WHEN i % 50 < 49 THEN t + interval '4 s' END,
       CASE WHEN i % 50 < 49 THEN t + interval '5 s' END
  FROM generate_series(1, {rows}) AS i,
       LATERAL (SELECT now() - (i * interval '90 days' / {rows}) AS t) AS at;
ANALYZE upload_history;
"""


def psql(database_url, sql):
    subprocess.run(["psql", database_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = stack_env()
    base = env["PORTAL_URL"].rstrip("/")
    database = env["DATABASE_URL"]

    psql(database, "DELETE FROM upload_history WHERE upload_id LIKE 'UPLOAD_20000101_000000_%'")
    started = time.monotonic()
    psql(database, SEED.format(rows=args.rows))
    print(f"seeded {args.rows} uploads in {time.monotonic() - started:.1f} s")

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = urllib.request.Request(
        f"{base}/api/auth/login",
        data=json.dumps({"email": env["PORTAL_OPERATOR_EMAIL"], "password": env["PORTAL_OPERATOR_PASSWORD"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    opener.open(login).read()
    # The session cookie is Secure; over http the jar will not send it back, so send it by hand.
    session = next(c.value for c in jar if c.name == "onboard_session")

    def get(path):
        request = urllib.request.Request(f"{base}{path}", headers={"Cookie": f"onboard_session={session}"})
        began = time.perf_counter()
        body = urllib.request.urlopen(request).read()
        return (time.perf_counter() - began) * 1000, json.loads(body)

    # A cursor 100 pages deep (5,000 rows in), walked once.
    cursor = None
    for _ in range(100):
        _, page = get("/api/admin/uploads?limit=50" + (f"&cursor={cursor}" if cursor else ""))
        cursor = page["next_cursor"]
    shapes = [
        ("first page, 50 rows (+ counts, attention)", "/api/admin/uploads?limit=50"),
        ("one vendor", "/api/admin/uploads?limit=50&vendor_id=VEND002"),
        ("status failed", "/api/admin/uploads?limit=50&status=failed"),
        ("file name contains '77'", "/api/admin/uploads?limit=50&file_name=77"),
        ("a month", "/api/admin/uploads?limit=50&from=2026-10-01&to=2026-10-31"),
        ("page 101 (keyset cursor)", f"/api/admin/uploads?limit=50&cursor={cursor}"),
        ("200 rows", "/api/admin/uploads?limit=200"),
    ]
    _, first = get(shapes[0][1])
    total = sum(first["counts"].values())
    print(f"{total} uploads in the database; counts {first['counts']}; {len(first['attention'])} need attention")
    print(f"{'shape':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, path in shapes:
        get(path)  # warm
        times = sorted(get(path)[0] for _ in range(args.calls))
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        print(f"{name:<44} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f}")

    if not args.keep:
        psql(database, "DELETE FROM upload_history WHERE upload_id LIKE 'UPLOAD_20000101_000000_%'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
