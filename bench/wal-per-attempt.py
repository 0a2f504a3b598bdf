#!/usr/bin/env python3
"""WAL bytes, pages and index entries per attendance attempt on SQLite (issue 24).

Usage: bench/wal-per-attempt.py DB [PAIRS] [BATCH] [DROP_INDEX_OR_TRIGGER ...]

DB is a database a loadgen run left behind (bench/run-write-path.sh with KEEP=1):
its tables hold a realistic number of events, visits and physicians. The script
works on a copy, with automatic checkpoints off, and replays PAIRS check-in +
check-out pairs as the attendance writer writes them (the statements of
server/src/store/attempt.rs: the physician's lock, the three lookups, then the
event, code use and visit rows, the check-out's visit update and its short_visit
anomaly), BATCH attempts per transaction (one savepoint each, as the group commit
does). It prints the WAL bytes and frames per attempt, the statements per attempt,
and the index entries each table's rows carry. Indexes named after DB are dropped
from the copy first, to see what each costs.
"""
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid

src = sys.argv[1]
pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 16
drops = [a for a in sys.argv[4:] if a != "v7"]
# "v7" among the arguments: new event, visit and anomaly ids time-ordered (UUID v7)
# instead of random (v4), to see what appending primary keys save.
time_ordered = "v7" in sys.argv[4:]
counter = 0


def new_id():
    global counter
    if not time_ordered:
        return str(uuid.uuid4())
    counter += 1
    ms = int(time.time() * 1000)
    rand = random.getrandbits(62)
    value = (ms << 80) | (0x7 << 76) | ((counter & 0xFFF) << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))

work = tempfile.mkdtemp(prefix="wal-per-attempt-")
db_path = os.path.join(work, "x.db")
src_db = sqlite3.connect(src)
src_db.execute(f"VACUUM INTO '{db_path}'")
src_db.close()
db = sqlite3.connect(db_path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute("PRAGMA temp_store=MEMORY")
for name in drops:
    kind = db.execute("SELECT type FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    db.execute(f"DROP {'TRIGGER' if kind and kind[0] == 'trigger' else 'INDEX'} {name}")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
page = db.execute("PRAGMA page_size").fetchone()[0]

ev_cols = [r[1] for r in db.execute("PRAGMA table_info(attendance_events)")]
an_cols = [r[1] for r in db.execute("PRAGMA table_info(anomalies)")]
template_in = dict(zip(ev_cols, db.execute(
    "SELECT * FROM attendance_events WHERE action='check_in' LIMIT 1").fetchone()))
template_out = dict(zip(ev_cols, db.execute(
    "SELECT * FROM attendance_events ORDER BY action = 'check_out' DESC LIMIT 1").fetchone()))
template_out["action"] = "check_out"
template_an = dict(zip(an_cols, db.execute(
    "SELECT * FROM anomalies ORDER BY kind = 'short_visit' DESC LIMIT 1").fetchone()))
template_an["kind"] = "short_visit"
assignments = db.execute(
    "SELECT a.physician_id, a.site_id, a.id FROM assignments a "
    "WHERE NOT EXISTS (SELECT 1 FROM visits v WHERE v.open_physician = a.physician_id)").fetchall()
random.shuffle(assignments)

statements = 0


def run(sql, args=()):
    global statements
    statements += 1
    return db.execute(sql, args)


def insert(table, row):
    cols = list(row)
    run(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
        [row[c] for c in cols])


def event(template, physician, site, assignment, visit, step, now):
    row = dict(template)
    row.update(id=new_id(), client_event_id=str(uuid.uuid4()), physician_id=physician,
               site_id=site, assignment_id=assignment, visit_id=visit, code_step=step,
               reported_lat=row["reported_lat"] + random.uniform(-1e-4, 1e-4),
               reported_lon=row["reported_lon"] + random.uniform(-1e-4, 1e-4),
               scanned_at=now, received_at=now)
    return row


def attempt(physician, site, assignment, check_in, state):
    now = int(time.time() * 1000)
    step = now // 5000 + (0 if check_in else 1)
    run("SAVEPOINT a")
    run("UPDATE users SET attendance_seq = attendance_seq + 1 WHERE id = ?", (physician,))
    cid = str(uuid.uuid4())
    run("SELECT response_status, response_body FROM attendance_events "
        "WHERE physician_id = ? AND client_event_id = ?", (physician, cid)).fetchall()
    run("SELECT id FROM visits WHERE open_physician = ?", (physician,)).fetchall()
    slot = "check_in" if check_in else "check_out"
    run("SELECT COUNT(*) FROM code_uses WHERE site_id = ? AND code_kind = 'rotating' "
        "AND code_step = ? AND physician_id = ? AND use_slot = ?",
        (site, step, physician, slot)).fetchall()
    if check_in:
        visit = new_id()
        e = event(template_in, physician, site, assignment, visit, step, now)
        insert("attendance_events", e)
        run("INSERT INTO code_uses VALUES (?,?,?,?,?,?)", (site, "rotating", step, physician, slot, e["id"]))
        run("INSERT INTO visits (id, physician_id, site_id, assignment_id, local_date, check_in_event_id, "
            "checked_in_at, status, open_physician) VALUES (?,?,?,?,date('now'),?,?,'open',?)",
            (visit, physician, site, assignment, e["id"], now, physician))
        state[physician] = visit
    else:
        visit = state.pop(physician)
        e = event(template_out, physician, site, assignment, visit, step, now)
        insert("attendance_events", e)
        run("INSERT INTO code_uses VALUES (?,?,?,?,?,?)", (site, "rotating", step, physician, slot, e["id"]))
        run("UPDATE visits SET check_out_event_id = ?, checked_out_at = ?, status = 'closed', closed_at = ?, "
            "open_physician = NULL WHERE id = ? AND status = 'open'", (e["id"], now, now, visit))
        an = dict(template_an)
        an.update(id=new_id(), physician_id=physician, site_id=site, visit_id=visit,
                  event_ids=f'["{e["id"]}"]', detected_at=now)
        insert("anomalies", an)
    run("RELEASE a")


attempts = [(p, s, a, True) for p, s, a in assignments[:pairs]] + \
    [(p, s, a, False) for p, s, a in assignments[:pairs]]
# Check-ins and check-outs interleave as under load: each check-out comes later than its check-in.
order = []
for i in range(pairs):
    order.append(attempts[i])
    if i >= batch * 4:
        order.append(attempts[pairs + i - batch * 4])
order += attempts[pairs + max(0, pairs - batch * 4):]
order = [a for a in order if a is not None]

wal = db_path + "-wal"
before = os.path.getsize(wal) if os.path.exists(wal) else 0
state = {}
started = time.process_time()
done = 0
for i in range(0, len(order), batch):
    db.execute("BEGIN IMMEDIATE")
    for p, s, a, check_in in order[i:i + batch]:
        if not check_in and p not in state:
            continue
        attempt(p, s, a, check_in, state)
        done += 1
    db.execute("COMMIT")
cpu = time.process_time() - started
after = os.path.getsize(wal)
grown = after - before
frames = grown // (page + 24)
print(f"database {src}: page size {page}, {len(assignments)} physicians free, dropped: {drops or 'none'}, ids: {'v7' if time_ordered else 'v4'}")
print(f"{done} attempts ({pairs} pairs) in batches of {batch}: WAL {grown / done / 1024:.1f} KiB "
      f"= {frames / done:.2f} pages per attempt; {statements / done:.1f} statements per attempt; "
      f"replay CPU {cpu * 1e6 / done:.0f} us per attempt (python included)")
for table in ("attendance_events", "visits", "code_uses", "anomalies", "users"):
    idx = db.execute(f"PRAGMA index_list({table})").fetchall()
    without_rowid = db.execute(
        "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    names = [r[1] for r in idx]
    print(f"  {table}: 1 {'clustered key' if without_rowid else 'rowid'} b-tree + {len(names)} indexes: {', '.join(names)}")
db.close()
shutil.rmtree(work)
