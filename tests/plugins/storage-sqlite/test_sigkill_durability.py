"""SIGKILL durability of storage.sqlite.

Runs storage_sqlite_writer (the real plugin writing in a tight loop) repeatedly on one
database file and kills it with SIGKILL, by its own pid, at a random moment of each run.
The writer prints "<kind> <id> <token>" only after the store acknowledged the write; the
token is unique to that write. Afterwards the database must pass PRAGMA integrity_check and
hold every acknowledged id with its token; a write the plugin acknowledged before it was
committed (or kept only in memory) would be missing, or its id taken by a later write.
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

RUNS = 18
RUN_SECONDS = 0.9          # the writer stops by itself after this; a kill comes earlier
READY_TIMEOUT = 10.0       # start-up (dlopen, migrations) is not part of the timed run
TOTAL_BUDGET = 55.0


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run_once(writer, db_path, kill_after):
    """Starts the writer, kills it kill_after seconds after it is ready (None = let it
    finish). Returns (acknowledged lines, killed?, exit code)."""
    proc = subprocess.Popen([writer, db_path, str(RUN_SECONDS)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    lines = []
    ready = threading.Event()

    def reader():
        buf = b""
        while True:
            chunk = proc.stdout.read(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode()
                if text == "ready":
                    ready.set()
                else:
                    lines.append(text)
        # A partial last line was never acknowledged completely: ignore it.

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    killed = False
    try:
        if not ready.wait(READY_TIMEOUT):
            fail("writer did not start within %.0f s: %s" % (READY_TIMEOUT, proc.stderr.read(2000)))
        if kill_after is not None:
            time.sleep(kill_after)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
        code = proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    thread.join(timeout=5)
    err = proc.stderr.read().decode(errors="replace")
    if not killed and code != 0:
        fail("writer exited with %d: %s" % (code, err))
    return lines, killed, code


COLUMNS = {"key": ("proxy_keys", "subdomain"), "log": ("logs", "details"), "lease": ("leases", "region")}


def missing_ids(db_path, acked):
    """Acknowledged (kind, id, token) writes that are not in the database as written."""
    con = sqlite3.connect(db_path)
    try:
        missing = []
        for kind, ident, token in acked:
            table, column = COLUMNS[kind]
            row = con.execute("SELECT %s FROM %s WHERE id = ?" % (column, table), (ident,)).fetchone()
            if row is None or row[0] != token:
                missing.append((kind, ident, token, row[0] if row else None))
        return missing
    finally:
        con.close()


def main():
    writer = os.environ.get("STORAGE_WRITER")
    if not writer or not os.path.exists(writer):
        fail("STORAGE_WRITER is not set to the built storage_sqlite_writer (run through ctest)")
    seed = int(os.environ.get("STORAGE_SIGKILL_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    print("seed %d" % seed)

    tmp = tempfile.mkdtemp(prefix="storage-sigkill-")
    started = time.monotonic()
    try:
        db_path = os.path.join(tmp, "data", "steadyproxy.db")
        acked = []
        kills = 0
        for run in range(RUNS):
            if time.monotonic() - started > TOTAL_BUDGET:
                fail("time budget exhausted after %d runs" % run)
            lines, killed, _ = run_once(writer, db_path, rng.uniform(0.02, RUN_SECONDS * 0.9))
            kills += killed
            for line in lines:
                parts = line.split(" ")
                if parts[0] in COLUMNS and len(parts) == 3:
                    acked.append((parts[0], int(parts[1]), parts[2]))
            print("run %2d: %4d acknowledged, %s" % (run, len(lines), "killed" if killed else "finished"))

        if kills < RUNS // 2:
            fail("only %d of %d runs were killed mid-write; the test proves nothing" % (kills, RUNS))
        if len(acked) < RUNS:
            fail("only %d writes were acknowledged in %d runs" % (len(acked), RUNS))

        con = sqlite3.connect(db_path)
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        current = con.execute("SELECT key_id, COUNT(*) FROM leases WHERE ended_at = 0 "
                              "GROUP BY key_id HAVING COUNT(*) > 1").fetchall()
        con.close()
        if integrity != [("ok",)]:
            fail("integrity_check: %r" % integrity)
        if current:
            fail("keys with more than one current lease: %r" % current)

        missing = missing_ids(db_path, acked)
        if missing:
            fail("%d acknowledged writes are missing, e.g. %r" % (len(missing), missing[:10]))

        # The check itself must be able to fail: an id that was never written is reported.
        highest = max(i for k, i, _ in acked if k == "log")
        if len(missing_ids(db_path, [("log", highest + 1000, "never-written")])) != 1:
            fail("the presence check does not detect a missing id")
        some_log = next(a for a in acked if a[0] == "log")
        if len(missing_ids(db_path, [("log", some_log[1], some_log[2] + "-other")])) != 1:
            fail("the presence check does not detect an id holding another write")

        # The killed database still opens and takes writes through the plugin.
        lines, killed, code = run_once(writer, db_path, None)
        if killed or code != 0 or not any(l.startswith("done") for l in lines):
            fail("the writer could not reopen and use the database after the kills")

        print("ok: %d acknowledged writes over %d runs (%d killed) all present, integrity ok, %.1f s"
              % (len(acked), RUNS, kills, time.monotonic() - started))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
