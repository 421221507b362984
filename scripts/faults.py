#!/usr/bin/env python3
"""make faults: a soak of the real workers under faults, checked by an independent oracle.

Runs the `frontdoor` binary's workers as separate processes against the local stack (a fresh
database and topics with a unique prefix per run), produces a generated county feed on the
three input topics (and a few decisions), and meanwhile, on its own:

  - SIGKILLs randomly chosen worker processes at random moments and restarts each,
  - restarts PostgreSQL (scripts/stack.sh pg-stop / pg-start),
  - scales the attendance worker 1 -> 3 -> 1 (scale-down is SIGTERM, as Kubernetes does),
  - re-sends 10% of the events (same `source` and `id`; marks, issued exclusions and received
    referrals partly under another key, so on another partition),
  - sends amendments out of order (the later `time` first) and ties on `time` (the larger id
    wins; the tie is written with another UTC offset, so only the instant is equal),
  - spreads about 1% bad messages over every reject code (see BAD_CODES).

It then waits, with deadlines, until the workers have drained everything, compares what
PostgreSQL holds and what was published with what the oracle says is owed, and prints ONE
table: the faults injected and the discrepancies per check. Exit status 1 on any
discrepancy, 2 when the harness itself could not run.

THE ORACLE is computed from what this program sent, never by calling frontdoor's code. The
workload is designed so that what is owed is simple to derive. Rules it relies on
(spec/events.md and spec/domain.md):

  * The mark that counts for (upn, laestab, date, session) is the one with the latest `time`
    (an instant: offsets are compared as instants), ties broken by the larger `id` (byte
    order), whatever the arrival order (events.md, "Amendments"). A re-sent event (same
    `source` and `id`) has no second effect (events.md, envelope).
  * Categories (domain.md, 2024 set): `/` and `L` are present; `I` and `M` authorised
    absence; all are possible sessions. Amendments change the code, never its category
    (`/`<->`L`, `I`<->`M`), so every pupil's attendance % at every point of the replay is
    either 100% or 0% whatever the order in which marks arrive.
  * Each pupil is either present at every session, or absent with an authorised code at every
    session from day 1. An absentee has 0% attendance, so once it has
    `minimumPossibleSessions` (20) possible sessions it enters severe absence (<= 50%) and
    persistent absence (<= 90%) once and never leaves: it owes exactly one `severe-absence`,
    and one `persistent-absence` when it is vulnerable (here: `fsm` true); present pupils owe
    nothing. Authorised codes owe no CME risk (G/N/O only) and no penalty review (unauthorised
    sessions only), so nothing is owed on the enforcement topic.
  * Attendance notifications go to the Early Help Unit of the school's district
    (Config/schools.csv, Config/districts.csv) and name the school (`laestab`).
  * Every permanent exclusion owes one `permanent-exclusion` (priority `high`: no pupil here
    has an EHC plan or is looked after). Suspensions (at most 2 per pupil and year, of
    pupils without an EHC plan who are not looked after, outside exam periods) owe nothing;
    a rescinded one stays on record but out of the figures. Permanent exclusions are never
    rescinded here.
  * Every referral opens a case, and a second referral for the same child (same UPN, or same
    family name, given name and date of birth, trimmed and case-insensitive) and reason joins
    the open case: one case and one triage notification per (child, reason): `cme-referral`
    for `cme`, `referral-triaged` otherwise, to the unit of the referring school's district
    (`county-duty`, the `unassigned` district's unit, when no school is given). Priority:
    `urgent` for `cme` with a safeguarding concern or a looked-after child; `high` for any
    `cme` and any EHCP, looked-after or FSM child; else `normal`.
  * CME cases are never resolved here, and the CME clock runs to FRONTDOOR_TODAY (set after
    every deadline), so each CME case owes exactly one `cme-overdue` from the scheduler.
    Resolutions go only to non-CME cases with a single referral (same key as the referral,
    so they arrive after it), which then close.
  * A bad message goes to `<topic>.dlq` with its code in `frontdoor-error-code` and its
    original topic, partition and offset in the `frontdoor-original-*` headers. The DLQ is at
    least once: extra copies are counted and reported, not failed.

Notifications are matched to what is owed by their content (kind, upn, case), not by
`notificationId` (whose derivation is frontdoor's). Copies of one notificationId are
duplicates (allowed, counted); an owed notification with no notification is missing; a
notification owed by nothing, or a second notificationId for one owed notification, is
extra. Referral notifications name a case id: it is mapped to referrals through PostgreSQL's
`referrals` table, which the cases check verifies against the oracle first.

`processing-failed` is not produced: it is the runtime's verdict on a *valid* event whose
processing fails for good (a permanent database error), so no input can raise it without
breaking the database itself, and issue 8 item 2 changes when it is raised.

Usage: scripts/faults.py [--profile short|full] [--seed N] [--no-huge] ...
Environment: FRONTDOOR_KAFKA_BROKERS, FRONTDOOR_DATABASE_URL (as `scripts/stack.sh env` prints),
FRONTDOOR_PG_PORT/FRONTDOOR_KAFKA_PORT (for stack.sh pg-stop/pg-start), FRONTDOOR_BIN (default
.build/debug/frontdoor of this checkout).
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import heapq
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import psycopg
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient
except ImportError as e:  # pragma: no cover
    sys.exit(f"faults: {e}; run `make setup` (it installs confluent-kafka and psycopg into .local/venv)")

ROOT = Path(__file__).resolve().parent.parent
EPOCH = dt.date(1970, 1, 1)

PROFILES = {
    # ~50,000 events, a few faults: runs inside `make test`.
    "short": dict(pupils=1100, days=20, exclusion_pupils=150, referral_children=150, kills=2, pg_restarts=1,
                  value_too_large=2, rate=4000, drain_timeout=300, stall_timeout=90),
    # >= 1,000,000 events: `make faults`.
    "full": dict(pupils=10000, days=46, exclusion_pupils=1500, referral_children=1500, kills=12, pg_restarts=2,
                 value_too_large=8, rate=3000, drain_timeout=1200, stall_timeout=180),
}

RESEND_RATE = 0.10
RESEND_OTHER_KEY = 0.3
AMEND_RATE = 0.02
BAD_RATE = 0.01
ABSENT_RATE = 0.10
BINARY_RATE = 0.05

BAD_CODES = [
    "value-too-large", "invalid-json", "unsupported-content-type", "unsupported-specversion", "unknown-type",
    "missing-field", "malformed-field", "unknown-field", "invalid-upn", "unknown-register-code",
    "not-a-school-day", "unknown-exclusion-reason", "unknown-case", "unknown-exclusion", "unknown-referral",
]

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def log(msg: str) -> None:
    print(f"faults {time.strftime('%H:%M:%S')} {msg}", flush=True)


# --- identifiers, dates and times (from events.md, independently of frontdoor) -------------

def check_letter(body: str) -> str:
    """events.md: weights 2-13 over positions 2-13, mod 23 onto the check alphabet."""
    total = 0
    for i, c in enumerate(body):
        v = int(c) if c.isdigit() else CHECK_ALPHABET.index(c)
        total += v * (i + 2)
    return CHECK_ALPHABET[total % 23]


def make_upn(laestab: str, year: int, serial: int) -> str:
    body = laestab[:3] + laestab[3:] + f"{year:02d}" + f"{serial:03d}"
    return check_letter(body) + body


def iso(d: dt.date) -> str:
    return d.isoformat()


def rfc3339(ms: int, offset_min: int = 0, fraction: bool = False) -> str:
    """An instant (ms since the epoch) in RFC 3339, written with the given UTC offset."""
    t = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms + offset_min * 60_000)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        s += f".{ms % 1000:03d}"
    if offset_min == 0:
        return s + "Z"
    sign = "+" if offset_min > 0 else "-"
    return s + f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"


def day_ms(d: dt.date, hour: int, minute: int = 0, second: int = 0) -> int:
    return ((d - EPOCH).days * 86400 + hour * 3600 + minute * 60 + second) * 1000


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# --- configuration (the same files the workers read) --------------------------------------

@dataclass
class Config:
    schools: list[tuple[str, str]]  # (laestab, district)
    unit_of_district: dict[str, str]
    bank_holidays: set[dt.date]
    school_days: list[dt.date]  # LA school days of 2026/27

    def unit(self, laestab: str | None) -> str:
        district = dict(self.schools).get(laestab or "", "unassigned")
        return self.unit_of_district.get(district, self.unit_of_district["unassigned"])

    def accepts_marks(self, d: dt.date) -> bool:
        return d.weekday() < 5 and d not in self.bank_holidays


def load_config(directory: Path) -> Config:
    with open(directory / "schools.csv") as f:
        schools = [(r["laestab"], r["district"]) for r in csv.DictReader(f)]
    with open(directory / "districts.csv") as f:
        units = {r["district"]: r["unitId"] for r in csv.DictReader(f)}
    date_re = re.compile(r"(\d{4}-\d{2}-\d{2})")
    holidays = set()
    for line in (directory / "calendar" / "bank-holidays.yaml").read_text().splitlines():
        m = re.match(r"\s*-\s*(\d{4}-\d{2}-\d{2})", line)
        if m:
            holidays.add(dt.date.fromisoformat(m.group(1)))
    text = (directory / "calendar" / "2026-27.yaml").read_text()
    terms, breaks, inset = [], [], set()
    section = None
    for line in text.splitlines():
        s = line.split("#")[0].rstrip()
        if re.match(r"^terms:", s):
            section = "terms"
        elif re.match(r"^insetDays:", s):
            section = "inset"
        elif re.match(r"^\w", s):
            section = None
        if section == "terms":
            m = re.search(r"start:\s*(\S+)", s)
            n = re.search(r"end:\s*(\S+?)\s*[},]?\s*$", s)
            if "{" in s:
                ds = date_re.findall(s)
                breaks.append((dt.date.fromisoformat(ds[0]), dt.date.fromisoformat(ds[1])))
            elif m:
                terms.append([dt.date.fromisoformat(m.group(1)), None])
            elif n:
                terms[-1][1] = dt.date.fromisoformat(n.group(1))
        elif section == "inset":
            for d in date_re.findall(s):
                inset.add(dt.date.fromisoformat(d))
    days = []
    for start, end in terms:
        d = start
        while d <= end:
            if d.weekday() < 5 and d not in holidays and d not in inset and not any(a <= d <= b for a, b in breaks):
                days.append(d)
            d += dt.timedelta(days=1)
    return Config(schools, units, holidays, days)


# --- the workload and its oracle ----------------------------------------------------------

@dataclass
class Msg:
    topic: str  # input kind: attendance | exclusions | referrals | decisions
    key: bytes
    value: bytes
    headers: list | None = None
    bad: str | None = None  # expected reject code
    variant: str = ""
    resendable: str | None = None  # "any-key" | "same-key" | None


@dataclass
class Oracle:
    # attendance: slot -> (time_ms, id, code); per pupil: distinct valid mark events
    slots: dict = field(default_factory=dict)
    mark_events: collections.Counter = field(default_factory=collections.Counter)
    pupils: dict = field(default_factory=dict)  # upn -> dict(laestab, absent, vulnerable)
    exclusions: dict = field(default_factory=dict)  # (laestab, exclusionId) -> dict
    referral_groups: dict = field(default_factory=dict)  # gid -> dict
    referral_of: dict = field(default_factory=dict)  # referralId -> gid
    valid_events: int = 0
    counts: collections.Counter = field(default_factory=collections.Counter)


class Workload:
    """Generates the feed lazily (in send order) and fills the oracle as it goes."""

    def __init__(self, prof: dict, cfg: Config, rng: random.Random, huge: bool):
        self.p, self.cfg, self.rng, self.huge = prof, cfg, rng, huge
        self.o = Oracle()
        self.days = cfg.school_days[: prof["days"]]
        if len(self.days) < prof["days"]:
            raise SystemExit("faults: not enough school days configured for --days")
        first = [d for d in cfg.school_days if d >= dt.date(2026, 9, 3)]
        self.days = first[: prof["days"]]
        self.dayindex = {d: k for k, d in enumerate(self.days)}
        self.schools = [s for s, _ in cfg.schools]
        self.serials = collections.Counter()
        self.stray_n = 0

    def new_upn(self, pool: int, laestab: str) -> str:
        self.serials[(pool, laestab)] += 1
        return make_upn(laestab, pool, self.serials[(pool, laestab)])

    # -- attendance
    def mark_value(self, upn, laestab, day, session, code, ms, eid, pupil=None, offset=0, fraction=False):
        data = {"upn": upn, "laestab": laestab, "date": iso(day), "session": session, "code": code, "minutesLate": None}
        if pupil is not None:
            data["pupil"] = pupil
        return {"specversion": "1.0", "id": eid, "source": f"urn:laestab:{laestab}", "type": "attendance.mark.v1",
                "time": rfc3339(ms, offset, fraction), "subject": upn, "data": data}

    def encode(self, event: dict, binary: bool) -> tuple[bytes, list | None]:
        if not binary:
            return dumps(event), None
        headers = [("ce_specversion", b"1.0"), ("ce_id", event["id"].encode()), ("ce_source", event["source"].encode()),
                   ("ce_type", event["type"].encode()), ("ce_time", event["time"].encode()),
                   ("content-type", b"application/json")]
        if "subject" in event:
            headers.append(("ce_subject", event["subject"].encode()))
        return dumps(event["data"]), headers

    def record_mark(self, upn, day, session, ms, eid, code):
        slot = (upn, day, session)
        cur = self.o.slots.get(slot)
        if cur is None or (ms, eid.encode()) > (cur[0], cur[1].encode()):
            self.o.slots[slot] = (ms, eid, code)
        self.o.mark_events[upn] += 1
        self.o.valid_events += 1

    def offset_for(self, day):
        # Europe/London: BST until the last Sunday of October 2026 (25 October).
        return 60 if day < dt.date(2026, 10, 25) else 0

    def pupil_week(self, idx: int, info: dict, week: list[dt.date]):
        upn, laestab = info["upn"], info["laestab"]
        rng = self.rng
        for day in week:
            di = self.dayindex[day]
            for session in ("AM", "PM"):
                base = day_ms(day, 8 if session == "AM" else 12, rng.randrange(0, 30), rng.randrange(60))
                if info["absent"]:
                    code = rng.choice("IM")
                    other = "M" if code == "I" else "I"
                else:
                    code = "/" if rng.random() < 0.97 else "L"
                    other = "L" if code == "/" else "/"
                eid = f"m{idx}-{di}{session[0]}"
                pupil = info["pupil"] if session == "AM" else None
                off = self.offset_for(day) if rng.random() < 0.2 else 0
                ev = self.mark_value(upn, laestab, day, session, code, base, eid, pupil, off, rng.random() < 0.1)
                value, headers = self.encode(ev, rng.random() < BINARY_RATE)
                original = Msg("attendance", upn.encode(), value, headers, resendable="any-key")
                if rng.random() >= AMEND_RATE:
                    self.record_mark(upn, day, session, base, eid, code)
                    yield original
                    continue
                # An amendment: another code of the same category, a later time, or a tie on
                # the instant (written with another offset) broken by the larger id.
                tie = rng.random() < 0.15
                ams = base if tie else base + rng.randrange(3600, 3 * 86400) * 1000
                aid = eid + ("~" if tie else "-a")
                aoff = (self.offset_for(day) if off == 0 else 0) if tie else 0
                aev = self.mark_value(upn, laestab, day, session, other, ams, aid, None, aoff)
                avalue, aheaders = self.encode(aev, False)
                amend = Msg("attendance", upn.encode(), avalue, aheaders, resendable="any-key")
                self.record_mark(upn, day, session, base, eid, code)
                self.record_mark(upn, day, session, ams, aid, other)
                self.o.counts["amendments"] += 1
                if tie:
                    self.o.counts["amendment ties on time"] += 1
                if rng.random() < 0.5:
                    self.o.counts["amendments out of order"] += 1
                    yield amend
                    yield original
                else:
                    yield original
                    yield amend

    # -- exclusions
    def exclusion_plan(self):
        """(day index, Msg) of every exclusion event, and their oracle entries."""
        rng, out, n = self.rng, [], 0
        autumn = [i for i, d in enumerate(self.days)]
        for _ in range(self.p["exclusion_pupils"]):
            laestab = rng.choice(self.schools)
            upn = self.new_upn(25, laestab)
            pupil = {"yearGroup": rng.randrange(1, 12), "fsm": rng.random() < 0.3, "sen": rng.choice("NNK"),
                     "cla": False}
            permanent = rng.random() < 0.3
            for k in range(1 if permanent else rng.choice((1, 2))):
                n += 1
                di = rng.choice(autumn[:-2] or autumn)
                day = self.days[di]
                xid = f"x{n}"
                data = {"exclusionId": xid, "upn": upn, "laestab": laestab,
                        "category": "permanent" if permanent else "suspension", "startDate": iso(day),
                        "reason": rng.choice(["PP", "PA", "VP", "VA", "BU", "DB", "DM", "TH", "MT"]), "pupil": pupil}
                sessions = None
                if not permanent:
                    sessions = rng.randrange(1, 7)
                    data["sessions"] = sessions
                ev = {"specversion": "1.0", "id": f"xi{n}", "source": f"urn:laestab:{laestab}",
                      "type": "exclusion.issued.v1", "time": rfc3339(day_ms(day, 10, rng.randrange(60))), "subject": upn,
                      "data": data}
                out.append((di, Msg("exclusions", upn.encode(), dumps(ev), resendable="any-key")))
                rescinded = not permanent and rng.random() < 0.15
                self.o.exclusions[(laestab, xid)] = dict(upn=upn, category=data["category"], sessions=sessions,
                                                        rescinded=rescinded, permanent=permanent)
                self.o.valid_events += 1
                if rescinded:
                    rdi = min(len(self.days) - 1, di + rng.randrange(1, 5))
                    rday = self.days[rdi]
                    rev = {"specversion": "1.0", "id": f"xr{n}", "source": f"urn:laestab:{laestab}",
                           "type": "exclusion.rescinded.v1", "time": rfc3339(day_ms(rday, 15)), "subject": upn,
                           "data": {"exclusionId": xid, "laestab": laestab, "upn": upn,
                                    "outcome": rng.choice(["reinstated-by-governors", "withdrawn-by-headteacher"]),
                                    "effectiveDate": iso(rday)}}
                    out.append((rdi, Msg("exclusions", upn.encode(), dumps(rev), resendable="same-key")))
                    self.o.valid_events += 1
        return out

    # -- referrals
    GIVEN = ["Amira", "Ben", "Chloe", "Dev", "Ellis", "Freya", "Gus", "Hana", "Isaac", "Jade", "Kai", "Lola"]
    FAMILY = ["Archer", "Baker", "Carter", "Dunn", "Evans", "Fox", "Green", "Hale", "Irwin", "Jones", "Khan", "Lowe"]

    def referral_plan(self):
        rng, out, n = self.rng, [], 0
        for g in range(self.p["referral_children"]):
            laestab = rng.choice(self.schools) if rng.random() < 0.85 else None
            home = laestab or rng.choice(self.schools)
            upn = self.new_upn(24, home) if rng.random() < 0.8 else None
            reason = rng.choices(["cme", "exclusion-risk", "persistent-absence", "attendance-concern", "reintegration"],
                                 [3, 2, 2, 2, 1])[0]
            given, family = rng.choice(self.GIVEN), f"{rng.choice(self.FAMILY)}{g}"
            dob = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(2500))
            child = {"givenName": given, "familyName": family, "dateOfBirth": iso(dob),
                     "yearGroup": rng.randrange(1, 12), "fsm": rng.random() < 0.25, "sen": rng.choice("NNNKE"),
                     "cla": rng.random() < 0.05}
            safeguarding = rng.random() < 0.2
            joins = rng.random() < 0.25
            resolve = not joins and reason != "cme" and rng.random() < 0.4
            gid = f"g{g}"
            grp = dict(reason=reason, upn=upn, laestab=laestab, child=child, safeguarding=safeguarding,
                       referrals=[], resolved=None)
            self.o.referral_groups[gid] = grp
            di0 = rng.randrange(len(self.days))
            for k in range(2 if joins else 1):
                n += 1
                rid = f"r{n}"
                di = min(len(self.days) - 1, di0 + k * rng.randrange(0, 4))
                day = self.days[di]
                c = dict(child)
                if k == 1 and upn is None:
                    # The same child written differently: matched trimmed and case-insensitively.
                    c["familyName"] = f"  {family.upper()} "
                    c["givenName"] = given.lower()
                data = {"referralId": rid, "reason": reason,
                        "referrer": {"kind": rng.choice(["school", "police", "health", "social-care", "other"]),
                                     "organisation": "A referring organisation"},
                        "child": c, "safeguardingConcern": safeguarding}
                if upn:
                    data["upn"] = upn
                if laestab:
                    data["laestab"] = laestab
                if rng.random() < 0.3:
                    data["details"] = "Concern raised by the referrer; see the case notes."
                ev = {"specversion": "1.0", "id": f"rr{n}", "source": "urn:frontdoor:agency:digital-front-door",
                      "type": "referral.received.v1", "time": rfc3339(day_ms(day, 11, rng.randrange(60))), "data": data}
                if upn:
                    ev["subject"] = upn
                out.append((di, Msg("referrals", rid.encode(), dumps(ev), resendable="any-key")))
                grp["referrals"].append(rid)
                self.o.referral_of[rid] = gid
                self.o.valid_events += 1
                if resolve:
                    rdi = min(len(self.days) - 1, di + rng.randrange(1, 6))
                    outcome = rng.choice(["returned-to-school", "found-new-school", "no-further-action", "not-found"])
                    sev = {"specversion": "1.0", "id": f"rs{n}", "source": "urn:frontdoor:agency:digital-front-door",
                           "type": "referral.resolved.v1", "time": rfc3339(day_ms(self.days[rdi], 16)),
                           "data": {"referralId": rid, "outcome": outcome, "resolvedOn": iso(self.days[rdi])}}
                    out.append((rdi, Msg("referrals", rid.encode(), dumps(sev), resendable="same-key")))
                    grp["resolved"] = outcome
                    self.o.valid_events += 1
        return out

    # -- bad messages
    def stray(self, pool=23):
        self.stray_n += 1
        laestab = self.rng.choice(self.schools)
        return self.new_upn(pool, laestab), laestab

    def bad(self, code: str) -> Msg:
        """One message whose first failure (docs/contract.md's check order) is `code`."""
        rng = self.rng
        upn, laestab = self.stray()
        day = rng.choice(self.days)
        n = self.stray_n
        mark = self.mark_value(upn, laestab, day, "AM", "/", day_ms(day, 8, 40), f"bad{n}",
                               {"yearGroup": 5, "fsm": False, "sen": "N", "cla": False})
        topic = rng.choices(["attendance", "exclusions", "referrals"], [7, 2, 1])[0]
        if topic == "exclusions":
            base = {"specversion": "1.0", "id": f"bad{n}", "source": f"urn:laestab:{laestab}",
                    "type": "exclusion.issued.v1", "time": rfc3339(day_ms(day, 10)), "subject": upn,
                    "data": {"exclusionId": f"bx{n}", "upn": upn, "laestab": laestab, "category": "suspension",
                             "startDate": iso(day), "sessions": 2, "reason": "DB"}}
        elif topic == "referrals":
            base = {"specversion": "1.0", "id": f"bad{n}", "source": "urn:frontdoor:agency:digital-front-door",
                    "type": "referral.received.v1", "time": rfc3339(day_ms(day, 11)),
                    "data": {"referralId": f"br{n}", "reason": "attendance-concern", "upn": upn, "laestab": laestab,
                             "referrer": {"kind": "school", "organisation": "A school"},
                             "child": {"givenName": "Stray", "familyName": f"Case{n}", "dateOfBirth": "2015-05-05"},
                             "safeguardingConcern": False}}
        else:
            base = mark
        key = upn.encode()
        ev = json.loads(json.dumps(base))
        headers = None
        variant = ""
        value = None
        if code == "value-too-large":
            topic = "attendance"
            value = dumps({"specversion": "1.0", "id": f"bad{n}", "padding": "x" * 300_000})
        elif code == "invalid-json":
            variant, value = rng.choice([
                ("truncated", dumps(ev)[:-7]), ("not-utf8", b'{"specversion":"1.0","id":"\xff\xfe"}'),
                ("array", b"[1,2,3]"), ("duplicate-member", dumps(ev)[:-1] + b',"id":"again"}'),
                ("nested-40", b'{"data":' + b'{"a":' * 40 + b"1" + b"}" * 41)])
        elif code == "unsupported-content-type":
            variant = rng.choice(["text-plain", "data-base64", "binary-csv"])
            if variant == "text-plain":
                headers = [("content-type", b"text/plain")]
            elif variant == "data-base64":
                del ev["data"]
                ev["data_base64"] = "e30="
            else:
                value, headers = self.encode(ev, True)
                headers = [h for h in headers if h[0] != "content-type"] + [("content-type", b"text/csv")]
        elif code == "unsupported-specversion":
            ev["specversion"] = rng.choice(["0.3", "1.1", "2.0"])
        elif code == "unknown-type":
            ev["type"] = rng.choice(["attendance.mark.v2", "earlyhelp.notification.v1", "exclusion.issued"])
        elif code == "missing-field":
            variant = rng.choice(["time", "data.id", "data"])
            if variant == "time":
                del ev["time"]
            elif variant == "data":
                del ev["data"]
            elif topic == "referrals":
                del ev["data"]["referralId"]  # a referral's upn is optional
            elif topic == "exclusions":
                del ev["data"]["exclusionId"]
            else:
                del ev["data"]["upn"]
        elif code == "malformed-field":
            variant = rng.choice(["long-id", "source-space", "time-space", "leap-second", "laestab-short",
                                  "session", "feb-30", "date-1999", "time-2100"] if topic == "attendance"
                                 else ["long-id", "source-space", "time-space", "leap-second", "laestab-short"])
            if variant == "long-id":
                ev["id"] = "i" * 200
            elif variant == "source-space":
                ev["source"] = "urn:laestab 886 2001"
            elif variant == "time-space":
                ev["time"] = ev["time"].replace("T", " ")
            elif variant == "leap-second":
                ev["time"] = ev["time"][:17] + "60Z"
            elif variant == "laestab-short":
                ev["data"]["laestab"] = laestab[:5]
            elif variant == "session":
                ev["data"]["session"] = "EVENING"
            elif variant == "feb-30":
                ev["data"]["date"] = "2026-02-30"
            elif variant == "date-1999":  # a Friday, not a configured bank holiday: out of range (events.md)
                ev["data"]["date"] = "1999-12-31"
            elif variant == "time-2100":
                ev["time"] = "2100-01-04T09:00:00Z"
        elif code == "unknown-field":
            variant = rng.choice(["data", "pupil"]) if topic == "attendance" else "data"
            if variant == "data":
                ev["data"]["colour"] = "blue"
            else:
                ev["data"]["pupil"]["shoeSize"] = 5
        elif code == "invalid-upn":
            variant = rng.choice(["check-letter", "la-code", "length"])
            wrong = {"check-letter": CHECK_ALPHABET[(CHECK_ALPHABET.index(upn[0]) + 1) % 23] + upn[1:],
                     "la-code": check_letter("123" + upn[4:]) + "123" + upn[4:], "length": upn[:12]}[variant]
            ev["data"]["upn"] = wrong
        elif code == "unknown-register-code":
            topic, ev = "attendance", json.loads(json.dumps(mark))
            variant = rng.choice(["H", "Y", "F", "ZZ", "A"])
            ev["data"]["code"] = variant
        elif code == "not-a-school-day":
            topic, ev = "attendance", json.loads(json.dumps(mark))
            variant = rng.choice(["saturday", "sunday", "bank-holiday"])
            ev["data"]["date"] = {"saturday": "2026-09-12", "sunday": "2026-10-04", "bank-holiday": "2026-12-28"}[variant]
        elif code == "unknown-exclusion-reason":
            topic = "exclusions"
            ev = {"specversion": "1.0", "id": f"bad{n}", "source": f"urn:laestab:{laestab}",
                  "type": "exclusion.issued.v1", "time": rfc3339(day_ms(day, 10)), "subject": upn,
                  "data": {"exclusionId": f"bx{n}", "upn": upn, "laestab": laestab, "category": "suspension",
                           "startDate": iso(day), "sessions": 2, "reason": rng.choice(["XX", "pp", "OT2"])}}
        elif code == "unknown-exclusion":
            topic = "exclusions"
            ev = {"specversion": "1.0", "id": f"bad{n}", "source": f"urn:laestab:{laestab}",
                  "type": "exclusion.rescinded.v1", "time": rfc3339(day_ms(day, 15)), "subject": upn,
                  "data": {"exclusionId": f"never{n}", "laestab": laestab, "upn": upn,
                           "outcome": "reinstated-by-governors", "effectiveDate": iso(day)}}
        elif code == "unknown-referral":
            topic, key = "referrals", f"never{n}".encode()
            ev = {"specversion": "1.0", "id": f"bad{n}", "source": "urn:frontdoor:agency:digital-front-door",
                  "type": "referral.resolved.v1", "time": rfc3339(day_ms(day, 16)),
                  "data": {"referralId": f"never{n}", "outcome": "returned-to-school", "resolvedOn": iso(day)}}
        elif code == "unknown-case":
            topic, key = "decisions", f"case-never{n}".encode()
            ev = {"specversion": "1.0", "id": f"bad{n}", "source": "urn:frontdoor:agency:attendance-enforcement",
                  "type": "enforcement.decision.v1", "time": rfc3339(day_ms(day, 14)),
                  "data": {"caseId": f"case-never{n}", "decision": "no-action", "decidedOn": iso(day),
                           "officerId": "staff-1", "parentRef": "parent-1"}}
        if value is None:
            value = dumps(ev)
        return Msg(topic, key, value, headers, bad=code, variant=variant)

    def huge_bad(self) -> Msg:
        """A value just under the broker's limit (issue 8 item 3): its DLQ copy does not fit."""
        upn, _ = self.stray()
        return Msg("exclusions", upn.encode(), dumps({"specversion": "1.0", "id": "huge", "padding": "x" * 1_040_000}),
                   bad="value-too-large", variant="about-1MB")

    # -- the whole feed, in send order
    def feed(self):
        rng, p = self.rng, self.p
        pupils = []
        for i in range(p["pupils"]):
            laestab = rng.choice(self.schools)
            upn = self.new_upn(26, laestab)
            absent = rng.random() < ABSENT_RATE
            vulnerable = absent and rng.random() < 0.5
            pupil = {"yearGroup": rng.randrange(1, 12), "fsm": vulnerable or (not absent and rng.random() < 0.2),
                     "sen": "N" if absent else rng.choice("NNNK"), "cla": False}
            info = dict(upn=upn, laestab=laestab, absent=absent, vulnerable=vulnerable, pupil=pupil,
                        )
            pupils.append(info)
            self.o.pupils[upn] = info
        side = collections.defaultdict(list)
        for di, m in self.exclusion_plan() + self.referral_plan():
            side[di].append(m)
        weeks = collections.OrderedDict()
        for d in self.days:
            weeks.setdefault(d.isocalendar()[:2], []).append(d)
        for week in weeks.values():
            order = list(range(len(pupils)))
            rng.shuffle(order)
            extra = [m for d in week for m in side[self.days.index(d)]]
            every = max(1, len(order) // (len(extra) + 1))
            for j, i in enumerate(order):
                yield from self.pupil_week(i, pupils[i], week)
                if extra and j % every == every - 1:
                    yield extra.pop(0)
            yield from extra


# --- processes --------------------------------------------------------------------------

class Worker:
    def __init__(self, kind: str, slot: int, binary: str, env: dict, logdir: Path):
        self.kind, self.slot, self.binary, self.env, self.logdir = kind, slot, binary, env, logdir
        self.proc: subprocess.Popen | None = None
        self.expected_exit = False
        self.starts = 0

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.slot}"

    def start(self):
        self.starts += 1
        logf = open(self.logdir / f"{self.name}.log", "ab")
        logf.write(f"--- start {self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen([self.binary, "worker", self.kind], env=self.env, cwd=ROOT, stdout=logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        self.expected_exit = False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Fleet:
    """The worker processes; restarts one that dies unexpectedly (and counts it)."""

    def __init__(self, binary: str, env: dict, logdir: Path):
        self.binary, self.env, self.logdir = binary, env, logdir
        self.lock = threading.RLock()
        self.workers: list[Worker] = []
        self.crashes: list[str] = []
        self.forced_stops: list[str] = []

    def add(self, kind: str) -> Worker:
        with self.lock:
            slot = 1 + max([w.slot for w in self.workers if w.kind == kind], default=0)
            w = Worker(kind, slot, self.binary, self.env, self.logdir)
            w.start()
            self.workers.append(w)
            return w

    def supervise(self):
        with self.lock:
            for w in self.workers:
                if w.proc is not None and not w.alive() and not w.expected_exit:
                    rc = w.proc.returncode
                    self.crashes.append(f"{w.name} exit {rc}")
                    log(f"{w.name} exited unexpectedly ({rc}); restarting")
                    if w.starts < 200:
                        w.start()

    def kill(self, w: Worker, delay: float):
        with self.lock:
            w.expected_exit = True
            if w.alive():
                w.proc.send_signal(signal.SIGKILL)
        w.proc.wait(timeout=30)
        time.sleep(delay)
        with self.lock:
            w.start()

    def stop(self, w: Worker, grace: float = 40) -> bool:
        """SIGTERM and wait; SIGKILL after `grace`. Returns whether it stopped by itself."""
        with self.lock:
            w.expected_exit = True
            if not w.alive():
                self.workers.remove(w)
                return True
            w.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            w.proc.wait(timeout=grace)
            clean = True
        except subprocess.TimeoutExpired:
            w.proc.send_signal(signal.SIGKILL)
            w.proc.wait(timeout=30)
            clean = False
            with self.lock:
                self.forced_stops.append(w.name)
        log(f"{w.name} {'exited' if clean else 'killed after'} {time.monotonic() - t0:.1f} s after SIGTERM"
            f" (status {w.proc.returncode})")
        with self.lock:
            self.workers.remove(w)
        return clean

    def stop_all(self):
        threads = [threading.Thread(target=self.stop, args=(w,)) for w in list(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


# --- the soak ---------------------------------------------------------------------------

class Soak:
    def __init__(self, args):
        self.args = args
        self.prof = dict(PROFILES[args.profile])
        for k in ("pupils", "days", "kills", "pg_restarts", "drain_timeout", "stall_timeout"):
            if getattr(args, k) is not None:
                self.prof[k] = getattr(args, k)
        self.rng = random.Random(args.seed)
        self.run_id = f"{int(time.time()) % 10_000_000:07d}"
        self.brokers = os.environ.get("FRONTDOOR_KAFKA_BROKERS", "127.0.0.1:59092")
        base_url = os.environ.get("FRONTDOOR_DATABASE_URL", "postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor")
        for host in re.findall(r"@([^:/]+)", base_url) + [b.split(":")[0] for b in self.brokers.split(",")]:
            if not (host.startswith("127.") or host in ("localhost", "[::1]", "::1")):
                raise SystemExit(f"faults: {host} is not a loopback address; the soak only runs against a local stack")
        self.db_name = f"faults_{self.run_id}"
        self.pg_port = (re.findall(r"@[^:/]+:(\d+)/", base_url) or ["5432"])[0]
        self.admin_url = base_url
        self.db_url = base_url.rsplit("/", 1)[0] + "/" + self.db_name
        self.binary = os.environ.get("FRONTDOOR_BIN") or str(ROOT / ".build/debug/frontdoor")
        self.stack = str(ROOT / "scripts/stack.sh")
        self.cfg = load_config(ROOT / "Config")
        prefix = f"faults.{self.run_id}"
        self.topics = {k: f"{prefix}.{k}.v1" for k in ("attendance", "exclusions", "referrals", "decisions")}
        self.enforcement = f"{prefix}.enforcement.v1"
        self.early_help = f"{prefix}.early-help.{{unit}}.v1"
        self.units = sorted(set(self.cfg.unit_of_district.values()))
        self.unit_topics = {self.early_help.replace("{unit}", u): u for u in self.units}
        self.dlqs = {t + ".dlq": k for k, t in self.topics.items()}
        self.groups = {"attendance": [self.topics["attendance"], self.topics["decisions"]],
                       "exclusions": [self.topics["exclusions"]], "referrals": [self.topics["referrals"]]}
        self.group_prefix = f"faults-{self.run_id}"
        self.logdir = ROOT / ".local/state/faults" / self.run_id
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.faults = collections.Counter()
        self.fault_log: list[str] = []
        self.sent = collections.Counter()
        self.bad_sent: dict = {}  # (topic, partition, offset) -> (code, variant)
        self.bad_by_code = collections.Counter()
        self.delivery_errors = []
        self.resend_moved = collections.Counter()
        self.timings = {}
        self.received: list = []
        self.reader_stop = threading.Event()
        self.produced_done = threading.Event()
        self.planned_total = 0
        self.drained = False
        self.output_partitions = None
        self.read_pos = {}
        self.behind: list[str] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
        env.update({
            "FRONTDOOR_KAFKA_BROKERS": self.brokers, "FRONTDOOR_DATABASE_URL": self.db_url,
            "FRONTDOOR_CONFIG_DIR": str(ROOT / "Config"), "FRONTDOOR_BATCH_SIZE": "500",
            "FRONTDOOR_BATCH_WAIT_MS": "200",
            # Tansu completes a consumer-group join after about half the session timeout.
            "FRONTDOOR_SESSION_TIMEOUT_MS": "6000", "FRONTDOOR_GROUP_PREFIX": self.group_prefix,
            "FRONTDOOR_TOPIC_ATTENDANCE": self.topics["attendance"], "FRONTDOOR_TOPIC_EXCLUSIONS": self.topics["exclusions"],
            "FRONTDOOR_TOPIC_REFERRALS": self.topics["referrals"], "FRONTDOOR_TOPIC_DECISIONS": self.topics["decisions"],
            "FRONTDOOR_TOPIC_ENFORCEMENT": self.enforcement, "FRONTDOOR_TOPIC_EARLY_HELP": self.early_help,
            # The soak sends no roll changes; the attendance worker still reads a topic of this run's own.
            "FRONTDOOR_TOPIC_ROLLS": f"faults.{self.run_id}.rolls.v1",
            # Workers refuse to start without a pseudonym key; a throw-away one per run.
            "FRONTDOOR_PSEUDONYM_KEY": secrets.token_hex(32),
            "FRONTDOOR_LOG_LEVEL": "info", "FRONTDOOR_SCHEDULER_INTERVAL_MS": "1000",
            # After every CME deadline of the feed: each open CME case is overdue.
            "FRONTDOOR_TODAY": "2027-07-01",
            # Several replicas of a worker run on this host: no metrics listener (it would need a
            # port of its own each, and a bound port stops a worker at start-up).
            "FRONTDOOR_HTTP_PORT": "0",
        })
        self.env = env
        self.fleet = Fleet(self.binary, env, self.logdir)

    # -- helpers
    def pg(self, url=None):
        return psycopg.connect(url or self.db_url, autocommit=True, connect_timeout=3)

    def stack_cmd(self, *args):
        # stack.sh restarts this checkout's cluster on the port the database URL names.
        env = dict(os.environ, FRONTDOOR_PG_PORT=self.pg_port)
        r = subprocess.run([self.stack, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"stack.sh {' '.join(args)} failed: {r.stderr.strip()}")

    def frontdoor(self, *args):
        r = subprocess.run([self.binary, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError(f"frontdoor {' '.join(args)} failed: {r.stderr.strip()[-500:]}")

    # -- setup
    def setup(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"{self.binary} not found: build first (make build) or set FRONTDOOR_BIN")
        with self.pg(self.admin_url) as c:
            c.execute(f"CREATE DATABASE {self.db_name}")
        self.frontdoor("migrate")
        self.frontdoor("topics", "create", "--partitions", "6", "--output-partitions", "3")
        admin = AdminClient({"bootstrap.servers": self.brokers})
        wanted = set(self.topics.values()) | set(self.dlqs) | set(self.unit_topics) | {self.enforcement}
        deadline = time.monotonic() + 30
        while True:
            have = set(admin.list_topics(timeout=5).topics)
            if wanted <= have:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"topics missing from the metadata: {sorted(wanted - have)[:3]}")
            time.sleep(0.5)
        for kind in ("attendance", "exclusions", "referrals", "relay"):
            self.fleet.add(kind)

    # -- producing
    def produce(self, workload: Workload):
        producer = Producer({"bootstrap.servers": self.brokers, "enable.idempotence": True, "acks": "all",
                             "linger.ms": 20, "message.max.bytes": 2_000_000, "queue.buffering.max.messages": 200_000,
                             "client.id": "frontdoor-faults"})
        rng = random.Random(self.args.seed + 1)
        pending: list = []  # heap of (due index, seq, Msg, original holder)
        seq = 0
        index = 0
        bad_plan = []
        t0 = time.monotonic()
        rate = self.prof["rate"]

        def delivered_bad(info):
            def cb(err, msg):
                if err is not None:
                    self.delivery_errors.append(str(err))
                else:
                    self.bad_sent[(msg.topic(), msg.partition(), msg.offset())] = info
            return cb

        def delivered_original(holder):
            def cb(err, msg):
                if err is not None:
                    self.delivery_errors.append(str(err))
                else:
                    holder["partition"] = msg.partition()
            return cb

        def delivered_resend(holder):
            def cb(err, msg):
                if err is not None:
                    self.delivery_errors.append(str(err))
                elif holder.get("partition") is not None and holder["partition"] != msg.partition():
                    self.resend_moved["resends on another partition"] += 1
            return cb

        def delivered(err, msg):
            if err is not None:
                self.delivery_errors.append(str(err))

        def send(m: Msg, cb):
            while True:
                try:
                    producer.produce(self.topics[m.topic], value=m.value, key=m.key, headers=m.headers, on_delivery=cb)
                    break
                except BufferError:
                    producer.poll(0.1)
            self.sent[m.topic] += 1
            producer.poll(0)

        def pace():
            nonlocal index
            index += 1
            if index % 500 == 0:
                ahead = index / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)

        bad_every = int(1 / BAD_RATE)
        since_bad = 0
        vtl_left = self.prof["value_too_large"]
        huge_at = int(self.planned_total * rng.uniform(0.2, 0.6)) if workload.huge else -1
        codes = [c for c in BAD_CODES if c != "value-too-large"]
        for m in workload.feed():
            hold = None
            if m.resendable and rng.random() < RESEND_RATE:
                hold = {}
                other = m.resendable == "any-key" and rng.random() < RESEND_OTHER_KEY
                key = f"other-{rng.randrange(10**9)}".encode() if other else m.key
                if other:
                    self.faults["resends under another key"] += 1
                self.faults["resends (same source and id)"] += 1
                seq += 1
                heapq.heappush(pending, (index + rng.randrange(500, 20_000), seq, Msg(m.topic, key, m.value, m.headers), hold))
            send(m, delivered_original(hold) if hold is not None else delivered)
            pace()
            while pending and pending[0][0] <= index:
                _, _, r, h = heapq.heappop(pending)
                send(r, delivered_resend(h))
                pace()
            since_bad += 1
            if since_bad >= bad_every:
                since_bad = 0
                if vtl_left > 0 and rng.random() < 0.05:
                    code = "value-too-large"
                    vtl_left -= 1
                else:
                    code = rng.choice(codes)
                b = workload.bad(code)
                self.bad_by_code[(code, b.variant)] += 1
                send(b, delivered_bad((code, b.variant)))
                pace()
            if index >= huge_at >= 0:
                huge_at = -1
                b = workload.huge_bad()
                self.bad_by_code[(b.bad, b.variant)] += 1
                send(b, delivered_bad((b.bad, b.variant)))
        while vtl_left > 0:
            vtl_left -= 1
            b = workload.bad("value-too-large")
            self.bad_by_code[(b.bad, b.variant)] += 1
            send(b, delivered_bad((b.bad, b.variant)))
        for c in BAD_CODES:  # every code at least once
            if not any(k[0] == c for k in self.bad_by_code):
                b = workload.bad(c)
                self.bad_by_code[(c, b.variant)] += 1
                send(b, delivered_bad((c, b.variant)))
        while pending:
            _, _, r, h = heapq.heappop(pending)
            send(r, delivered_resend(h))
        remaining = producer.flush(120)
        if remaining:
            self.delivery_errors.append(f"{remaining} messages not delivered")
        self.timings["produce"] = time.monotonic() - t0
        self.produced_done.set()
        log(f"produced {sum(self.sent.values()):,} messages in {self.timings['produce']:.0f} s "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(self.sent.items()))})")

    # -- reading what frontdoor published
    def read_outputs(self):
        c = Consumer({"bootstrap.servers": self.brokers, "group.id": f"faults-reader-{self.run_id}",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest", "fetch.message.max.bytes": 2_000_000,
                      "client.id": "frontdoor-faults-reader"})
        meta = c.list_topics(timeout=10)
        tps = []
        for t in list(self.unit_topics) + [self.enforcement] + list(self.dlqs):
            for p in meta.topics[t].partitions:
                tps.append(TopicPartition(t, p, -2))
        c.assign(tps)
        self.output_partitions = [(tp.topic, tp.partition) for tp in tps]
        while not self.reader_stop.is_set():
            for m in c.consume(1000, 0.5):
                if m.error():
                    continue
                self.received.append((m.topic(), m.partition(), m.offset(), m.headers() or [], m.value()))
                self.read_pos[(m.topic(), m.partition())] = m.offset() + 1
        c.close()

    # -- progress and draining
    def offsets(self, conn):
        rows = conn.execute("SELECT group_id, topic, partition, next_offset FROM consumer_offsets").fetchall()
        return {(g, t, p): o for g, t, p, o in rows}

    def watermarks(self, consumer, topics):
        out = {}
        meta = consumer.list_topics(timeout=10)
        for t in topics:
            for p in meta.topics[t].partitions:
                lo, hi = consumer.get_watermark_offsets(TopicPartition(t, p), timeout=10)
                out[(t, p)] = hi
        return out

    def progress(self) -> float | None:
        try:
            with self.pg() as c:
                done = sum(self.offsets(c).values())
        except Exception:
            return None
        return done / max(1, self.planned_total)

    # -- faults
    def fault_plan(self):
        rng = self.rng
        plan = [("kill", rng.uniform(0.05, 0.9)) for _ in range(self.prof["kills"])]
        plan += [("pg-restart", rng.uniform(0.1, 0.85)) for _ in range(self.prof["pg_restarts"])]
        up = rng.uniform(0.15, 0.45)
        plan += [("scale-up", up), ("scale-down", rng.uniform(up + 0.15, 0.8))]
        return sorted(plan, key=lambda x: x[1])

    def inject(self):
        est = self.planned_total / 900.0 + 60  # seconds the soak is expected to take at ~900 events/s
        t0 = time.monotonic()
        for action, point in self.fault_plan():
            while True:
                p = self.progress()
                if (p is not None and p >= point) or time.monotonic() - t0 > point * est * 1.5 + 20:
                    break
                time.sleep(0.5)
            try:
                self.do(action)
            except Exception as e:  # a fault that could not be injected is reported, not fatal
                self.fault_log.append(f"{action} failed: {e}")
                log(f"fault {action} failed: {e}")
        self.timings["faults"] = time.monotonic() - t0

    def do(self, action):
        rng = self.rng
        if action == "kill":
            with self.fleet.lock:
                alive = [w for w in self.fleet.workers if w.alive() and not w.expected_exit]
            if not alive:
                return
            w = rng.choice(alive)
            delay = rng.uniform(0.2, 3.0)
            log(f"SIGKILL {w.name}; restart in {delay:.1f} s")
            self.fleet.kill(w, delay)
            self.faults["SIGKILL worker (restarted)"] += 1
            self.fault_log.append(f"kill {w.name}")
        elif action == "pg-restart":
            down = rng.uniform(2, 8)
            log(f"PostgreSQL stop, start again in {down:.1f} s")
            self.stack_cmd("pg-stop")
            try:
                self.pg().close()
                reachable = True
            except Exception:
                reachable = False
            if reachable:
                raise RuntimeError("the database still answered after stack.sh pg-stop: not this checkout's cluster")
            time.sleep(down)
            self.stack_cmd("pg-start")
            self.faults["PostgreSQL restarts"] += 1
            self.fault_log.append(f"pg-restart {down:.1f}s")
        elif action == "scale-up":
            log("scale attendance 1 -> 3")
            self.fleet.add("attendance")
            self.fleet.add("attendance")
            self.faults["attendance scale steps (1->3, 3->1)"] += 1
        elif action == "scale-down":
            log("scale attendance 3 -> 1 (SIGTERM)")
            with self.fleet.lock:
                extra = sorted([w for w in self.fleet.workers if w.kind == "attendance"], key=lambda w: -w.slot)[:2]
            for w in extra:
                if not self.fleet.stop(w):
                    self.fault_log.append(f"{w.name} ignored SIGTERM for 40 s; killed")
            self.faults["attendance scale steps (1->3, 3->1)"] += 1

    def drain(self):
        """Waits until every input partition's stored offset reaches its end, the outbox is sent,
        the CME clock has run and the reader has caught up; gives up at the deadlines."""
        t0 = time.monotonic()
        while self.output_partitions is None and time.monotonic() - t0 < 30:
            time.sleep(0.5)
        probe = Consumer({"bootstrap.servers": self.brokers, "group.id": f"faults-probe-{self.run_id}"})
        inputs = self.watermarks(probe, self.topics.values())
        last_change, last_state, stable = time.monotonic(), None, 0
        group_of = {t: f"{self.group_prefix}-{g}" for g, ts in self.groups.items() for t in ts}
        while True:
            self.fleet.supervise()
            state = None
            try:
                with self.pg() as c:
                    offs = self.offsets(c)
                    unsent = c.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
                    cme = c.execute("SELECT count(*) FROM cases WHERE kind = 'cme' AND status = 'open' "
                                    "AND NOT overdue_notified").fetchone()[0]
                behind = [f"{t.split('.')[-2]}[{p}] {offs.get((group_of[t], t, p), 0)}/{hi}"
                          for (t, p), hi in inputs.items() if offs.get((group_of[t], t, p), 0) < hi]
                outs = self.watermarks(probe, [t for t, _ in self.output_partitions]) if not behind and not unsent else {}
                unread = [k for k, hi in outs.items() if self.read_pos.get(k, 0) < hi]
                state = (tuple(behind), unsent, cme, len(unread), sum(offs.values()))
                self.behind = behind + ([f"outbox unsent {unsent}"] if unsent else []) + \
                    ([f"CME cases not yet checked {cme}"] if cme else [])
                done = not behind and not unsent and not cme and not unread
            except Exception as e:
                done = False
                self.behind = [f"progress unreadable: {e.__class__.__name__}"]
            if state != last_state:
                last_state, last_change = state, time.monotonic()
            if done:
                stable += 1
                if stable >= 3:
                    self.drained = True
                    break
            else:
                stable = 0
            now = time.monotonic()
            if now - t0 > self.prof["drain_timeout"]:
                log(f"drain deadline reached; still behind: {self.behind[:6]}")
                break
            if now - last_change > self.prof["stall_timeout"]:
                log(f"no progress for {self.prof['stall_timeout']} s; still behind: {self.behind[:6]}")
                break
            time.sleep(2)
        probe.close()
        self.timings["drain"] = time.monotonic() - t0

    # -- the checks
    def check(self, workload: Workload):
        o = workload.o
        rows = []  # (section, item, expected, observed, discrepancies)
        with self.pg() as c:
            q = lambda sql: c.execute(sql).fetchall()
            # Attendance ---------------------------------------------------------------
            stored_events = dict(q("SELECT upn, count(*) FROM attendance_marks GROUP BY upn"))
            exp_events = sum(o.mark_events.values())
            missing = sum(max(0, n - stored_events.get(u, 0)) for u, n in o.mark_events.items())
            extra = sum(max(0, n - o.mark_events.get(u, 0)) for u, n in stored_events.items())
            rows.append(("attendance", "mark events stored (source, id)", exp_events, sum(stored_events.values()),
                         missing + extra, f"{missing} lost, {extra} not owed (bad marks accepted)" if missing + extra else ""))
            exp_tot = collections.defaultdict(lambda: collections.Counter())
            exp_codes = collections.defaultdict(lambda: collections.Counter())
            cat = {"/": "present", "L": "present", "I": "authorised", "M": "authorised"}
            for (upn, day, session), (_, _, code) in o.slots.items():
                exp_tot[upn][cat[code]] += 1
                exp_tot[upn]["possible"] += 1
                exp_codes[upn][code] += 1
            got_tot = {}
            for upn, year, pos, pre, att, aut, una, nc in q(
                    "SELECT upn, academic_year, possible, present, attending, authorised, unauthorised, not_counted "
                    "FROM pupil_year_attendance"):
                got_tot[(upn, year)] = collections.Counter({k: v for k, v in zip(
                    ("possible", "present", "attending", "authorised", "unauthorised", "not_counted"),
                    (pos, pre, att, aut, una, nc)) if v})
            bad_tot = sum(1 for u, t in exp_tot.items() if got_tot.get((u, "2026/27")) != t)
            extra_tot = sum(1 for (u, y) in got_tot if u not in exp_tot or y != "2026/27")
            rows.append(("attendance", "pupils' totals (pupil_year_attendance)", len(exp_tot),
                         len(exp_tot) - bad_tot, bad_tot + extra_tot,
                         f"{bad_tot} differ, {extra_tot} rows not owed" if bad_tot + extra_tot else ""))
            got_codes = collections.defaultdict(collections.Counter)
            for upn, code, n in q("SELECT upn, code, count(*) FROM marks_that_count GROUP BY upn, code"):
                got_codes[upn][code] = n
            bad_codes = sum(1 for u, cts in exp_codes.items() if got_codes.get(u) != cts)
            extra_codes = sum(1 for u in got_codes if u not in exp_codes)
            rows.append(("attendance", "sessions per register code (marks that count)", len(exp_codes),
                         len(exp_codes) - bad_codes, bad_codes + extra_codes,
                         f"{bad_codes} pupils differ, {extra_codes} pupils not owed" if bad_codes + extra_codes else ""))
            # Exclusions ---------------------------------------------------------------
            got_x = {(l, x): (u, cat_, s, r) for l, x, u, cat_, s, r in q(
                "SELECT laestab, exclusion_id, upn, category, sessions, rescinded FROM exclusions")}
            miss_x = wrong_x = 0
            for k, e in o.exclusions.items():
                g = got_x.get(k)
                if g is None:
                    miss_x += 1
                elif g != (e["upn"], e["category"], e["sessions"], e["rescinded"]):
                    wrong_x += 1
            extra_x = sum(1 for k in got_x if k not in o.exclusions)
            rows.append(("exclusions", "exclusions recorded (category, sessions, rescinded)", len(o.exclusions),
                         len(got_x), miss_x + wrong_x + extra_x,
                         f"{miss_x} missing, {wrong_x} wrong, {extra_x} not owed" if miss_x + wrong_x + extra_x else ""))
            fig_exp = (sum(1 for e in o.exclusions.values() if e["permanent"]),
                       sum(1 for e in o.exclusions.values() if not e["permanent"] and not e["rescinded"]),
                       sum(1 for e in o.exclusions.values() if e["rescinded"]))
            fig_got = tuple(q("SELECT count(*) FILTER (WHERE category='permanent' AND NOT rescinded), "
                              "count(*) FILTER (WHERE category='suspension' AND NOT rescinded), "
                              "count(*) FILTER (WHERE rescinded) FROM exclusions")[0])
            rows.append(("exclusions", "figures: permanent / suspensions / rescinded", "/".join(map(str, fig_exp)),
                         "/".join(map(str, fig_got)), sum(abs(a - b) for a, b in zip(fig_exp, fig_got)), ""))
            # Cases --------------------------------------------------------------------
            case_of_ref = dict(q("SELECT referral_id, case_id FROM referrals"))
            cases = {r[0]: r for r in q("SELECT case_id, kind, reason, upn, status, outcome, unit_id FROM cases")}
            miss_c = split_c = wrong_c = 0
            case_group: dict = {}
            for gid, g in o.referral_groups.items():
                ids = {case_of_ref.get(r) for r in g["referrals"]}
                if None in ids:
                    miss_c += 1
                    ids.discard(None)
                if len(ids) > 1:
                    split_c += 1
                for cid in ids:
                    if cid in case_group and case_group[cid] != gid:
                        split_c += 1  # two children's referrals in one case
                    case_group[cid] = gid
                    row = cases.get(cid)
                    want_status = "closed" if g["resolved"] else "open"
                    want = ("cme" if g["reason"] == "cme" else "referral", g["reason"], g["upn"], want_status,
                            g["resolved"], self.cfg.unit(g["laestab"]))
                    if row is None or row[1:] != want:
                        wrong_c += 1
            exp_xcases = {(e["upn"]) for e in o.exclusions.values()}
            got_xcases = {r[3] for r in cases.values() if r[1] == "exclusion"}
            other = [r for r in cases.values() if r[1] not in ("cme", "referral", "exclusion")]
            stray_ref = [cid for cid, r in cases.items() if r[1] in ("cme", "referral") and cid not in case_group]
            n_case_exp = len(o.referral_groups) + len(exp_xcases)
            n_disc = miss_c + split_c + wrong_c + len(exp_xcases ^ got_xcases) + len(other) + len(stray_ref)
            rows.append(("cases", "referral (one per child and reason) and exclusion cases", n_case_exp,
                         len(cases), n_disc,
                         f"{miss_c} groups missing a referral, {split_c} split/merged, {wrong_c} wrong kind/status/unit, "
                         f"{len(exp_xcases ^ got_xcases)} exclusion cases off, {len(other)} other kinds, "
                         f"{len(stray_ref)} not owed" if n_disc else ""))
            processed = q("SELECT count(*) FROM processed_events")[0][0]
            rows.append(("idempotency", "processed_events rows = distinct valid events sent", o.valid_events, processed,
                         abs(processed - o.valid_events), ""))
            rej_rows, rej_distinct = q('SELECT count(*), count(DISTINCT (topic, partition, "offset")) FROM rejected_events')[0]
            # The CME clock: the cases left unchecked are a drain failure, shown below.
        # Notifications -----------------------------------------------------------------
        owed = {}
        for upn, info in o.pupils.items():
            if info["absent"]:
                owed[("severe-absence", upn)] = dict(unit=self.cfg.unit(info["laestab"]), laestab=info["laestab"], upn=upn)
                if info["vulnerable"]:
                    owed[("persistent-absence", upn)] = dict(unit=self.cfg.unit(info["laestab"]),
                                                             laestab=info["laestab"], upn=upn)
        for (laestab, xid), e in o.exclusions.items():
            if e["permanent"]:
                owed[("permanent-exclusion", e["upn"])] = dict(unit=self.cfg.unit(laestab), laestab=laestab,
                                                               upn=e["upn"], priority="high")
        for gid, g in o.referral_groups.items():
            ch = g["child"]
            if g["reason"] == "cme" and (g["safeguarding"] or ch["cla"]):
                pr = "urgent"
            elif g["reason"] == "cme" or ch["cla"] or ch["fsm"] or ch["sen"] == "E":
                pr = "high"
            else:
                pr = "normal"
            kind = "cme-referral" if g["reason"] == "cme" else "referral-triaged"
            owed[(kind, gid)] = dict(unit=self.cfg.unit(g["laestab"]), laestab=g["laestab"], upn=g["upn"], priority=pr)
            if g["reason"] == "cme":
                owed[("cme-overdue", gid)] = dict(unit=self.cfg.unit(g["laestab"]), laestab=g["laestab"], upn=g["upn"])
        by_id = collections.defaultdict(list)
        dlq = collections.defaultdict(list)
        for topic, part, off, headers, value in self.received:
            if topic in self.dlqs:
                h = {k: (v or b"").decode("utf-8", "replace") for k, v in headers}
                pos = (h.get("frontdoor-original-topic"), int(h.get("frontdoor-original-partition", -1)),
                       int(h.get("frontdoor-original-offset", -1)))
                dlq[pos].append(h.get("frontdoor-error-code"))
                continue
            try:
                ev = json.loads(value)
                data = ev.get("data", {})
            except Exception:
                ev, data = {}, {}
            nid = data.get("notificationId") or ev.get("id") or f"unparsed@{topic}/{part}/{off}"
            by_id[nid].append((topic, ev, data))
        copies = sum(len(v) for v in by_id.values())
        matched = collections.defaultdict(list)
        unowed = collections.Counter()
        wrong = collections.Counter()
        refs_of_case = collections.defaultdict(list)
        for r, cid in case_of_ref.items():
            refs_of_case[cid].append(r)
        for nid, cps in by_id.items():
            topic, ev, data = cps[0]
            kind = data.get("kind") or ev.get("type", "?")
            if kind in ("cme-referral", "referral-triaged", "cme-overdue"):
                refs = refs_of_case.get(data.get("caseId"), [])
                subject = o.referral_of.get(refs[0]) if refs else None
            else:
                subject = data.get("upn")
            key = (kind, subject)
            if topic == self.enforcement or key not in owed:
                unowed[kind] += 1
                continue
            matched[key].append(nid)
            want = owed[key]
            if (self.unit_topics.get(topic) != want["unit"] or any(t != topic for t, _, _ in cps)
                    or data.get("unitId") != want["unit"] or data.get("laestab") != want["laestab"]
                    or data.get("upn") != want["upn"] or ("priority" in want and data.get("priority") != want["priority"])):
                wrong[kind] += 1
        missing_n = collections.Counter(k[0] for k in owed if k not in matched)
        second_ids = collections.Counter(k[0] for k, ids in matched.items() if len(ids) > 1)
        kinds = sorted({k[0] for k in owed} | set(unowed))
        for kind in kinds:
            n_owed = sum(1 for k in owed if k[0] == kind)
            delivered = sum(1 for k in matched if k[0] == kind)
            d = missing_n[kind] + unowed[kind] + wrong[kind] + second_ids[kind]
            parts = [f"{missing_n[kind]} missing"] if missing_n[kind] else []
            parts += [f"{unowed[kind]} owed by nothing"] if unowed[kind] else []
            parts += [f"{second_ids[kind]} notified under a second id"] if second_ids[kind] else []
            parts += [f"{wrong[kind]} wrong topic/unit/school/upn/priority"] if wrong[kind] else []
            rows.append(("notifications", kind, n_owed, delivered, d, ", ".join(parts)))
        rows.append(("notifications", "copies received / duplicate copies (allowed)", "-",
                     f"{copies} / {copies - len(by_id)}", 0, ""))
        # Dead-letter queues ------------------------------------------------------------
        by_code_exp = collections.Counter(code for code, _ in self.bad_sent.values())
        by_code_ok = collections.Counter()
        by_code_missing = collections.Counter()
        by_code_wrong = collections.Counter()
        wrong_detail = collections.Counter()
        for pos, (code, variant) in self.bad_sent.items():
            got = dlq.get(pos)
            if not got:
                by_code_missing[code] += 1
                wrong_detail[f"{code}/{variant}: missing"] += 1
            elif any(g != code for g in got):
                by_code_wrong[code] += 1
                wrong_detail[f"{code}/{variant}: got {sorted(set(got))[0]}"] += 1
            else:
                by_code_ok[code] += 1
        unexpected = collections.Counter(c for pos, cs in dlq.items() if pos not in self.bad_sent for c in cs)
        dup_copies = sum(len(cs) - 1 for pos, cs in dlq.items() if len(cs) > 1)
        for code in BAD_CODES:
            d = by_code_missing[code] + by_code_wrong[code] + unexpected.pop(code, 0)
            detail = ", ".join(f"{(k.split(': ', 1)[0].split('/', 1)[1] + ': ').lstrip(': ')}{k.split(': ', 1)[1]} x{v}"
                               for k, v in sorted(wrong_detail.items()) if k.startswith(code + "/"))
            rows.append(("dead letters", code, by_code_exp[code], by_code_ok[code], d, detail))
        for code, n in unexpected.items():
            rows.append(("dead letters", f"{code} (no bad message sent there)", 0, n, n, "a valid event dead-lettered"))
        rows.append(("dead letters", "duplicate DLQ copies (at least once; reported, allowed)", "-", dup_copies, 0, ""))
        rows.append(("dead letters", "rejected_events rows / distinct positions (info)", len(self.bad_sent),
                     f"{rej_rows} / {rej_distinct}", 0, ""))
        # Runtime -----------------------------------------------------------------------
        rows.append(("runtime", "drained before the deadline", "yes", "yes" if self.drained else "no",
                     0 if self.drained else 1, "; ".join(self.behind[:4])))
        crashed = collections.Counter(x.split(" exit")[0] for x in self.fleet.crashes)
        rows.append(("runtime", "workers that died on their own (restarted)", 0, len(self.fleet.crashes),
                     len(self.fleet.crashes), ", ".join(f"{k} x{v}" for k, v in sorted(crashed.items()))))
        rows.append(("runtime", "SIGTERM not honoured within 40 s (killed)", 0, len(self.fleet.forced_stops),
                     len(self.fleet.forced_stops), ", ".join(self.fleet.forced_stops)))
        planned = self.prof["kills"] + self.prof["pg_restarts"] + 2
        done = (self.faults["SIGKILL worker (restarted)"] + self.faults["PostgreSQL restarts"]
                + self.faults["attendance scale steps (1->3, 3->1)"])
        rows.append(("runtime", "faults injected as planned (kills, restarts, scale steps)", planned, done,
                     max(0, planned - done), "; ".join(f for f in self.fault_log if "failed" in f)[:200]))
        rows.append(("runtime", "producer delivery errors", 0, len(self.delivery_errors), len(self.delivery_errors),
                     "; ".join(self.delivery_errors[:2])))
        return rows

    def print_table(self, rows, workload: Workload):
        o = workload.o
        fault_rows = [
            ("SIGKILL worker (restarted)", self.prof["kills"], self.faults["SIGKILL worker (restarted)"],
             ", ".join(f"{k} x{v}" for k, v in sorted(collections.Counter(
                 re.sub(r"-\d+$", "", f.split()[1]) for f in self.fault_log if f.startswith("kill")).items()))),
            ("PostgreSQL restarts", self.prof["pg_restarts"], self.faults["PostgreSQL restarts"], ""),
            ("attendance scale steps (1->3, 3->1)", 2, self.faults["attendance scale steps (1->3, 3->1)"], ""),
            ("re-sent events (same source and id)", "~10%", self.faults["resends (same source and id)"],
             f"{self.faults['resends under another key']} under another key, "
             f"{self.resend_moved['resends on another partition']} landed on another partition"),
            ("amendments / out of order / ties on time", "~2% of marks",
             f"{o.counts['amendments']} / {o.counts['amendments out of order']} / {o.counts['amendment ties on time']}", ""),
        ]
        codes = collections.Counter()
        for (code, _), n in self.bad_by_code.items():
            codes[code] += n
        fault_rows.append(("bad messages (all codes)", "~1%", sum(codes.values()),
                           ", ".join(f"{c} {codes[c]}" for c in BAD_CODES)))
        extra = [f for f in self.fault_log if "failed" in f or "ignored" in f]
        if extra:
            fault_rows.append(("fault injection problems", 0, len(extra), "; ".join(extra[:3])))
        w = [13, 60, 14, 14, 6]
        line = "+" + "+".join("-" * (x + 2) for x in w) + "+"
        fmt = lambda cells: "| " + " | ".join(str(c).ljust(x)[:max(x, len(str(c)))] for c, x in zip(cells, w)) + " |"
        total = sum(self.sent.values())
        print()
        print(f"make faults ({self.args.profile}, seed {self.args.seed}, run {self.run_id}): "
              f"{total:,} messages, binary {self.binary}")
        print(line)
        print(fmt(["section", "item", "expected", "observed", "discr."]))
        print(line)
        for name, planned, done, detail in fault_rows:
            print(fmt(["faults", name, planned, done, "-"]) + (f"  {detail}" if detail else ""))
        print(line)
        last = None
        for section, item, exp, got, d, detail in rows:
            print(fmt([section if section != last else "", item, exp, got, d]) + (f"  {detail}" if detail else ""))
            last = section
        print(line)
        n = sum(r[4] for r in rows)
        t = self.timings
        print(f"timings: setup {t.get('setup', 0):.0f} s, produce {t.get('produce', 0):.0f} s, faults over "
              f"{t.get('faults', 0):.0f} s, drain {t.get('drain', 0):.0f} s, stop {t.get('stop', 0):.0f} s, checks {t.get('checks', 0):.0f} s, "
              f"total {t.get('total', 0):.0f} s ({total / max(1, t.get('soak', 1)):.0f} messages/s end to end)")
        print(f"logs: {self.logdir}")
        print(f"RESULT: {'PASS' if n == 0 else 'FAIL'}: {n} discrepancies")
        return n

    def cleanup(self):
        if self.args.keep:
            log(f"kept database {self.db_name} and topics faults.{self.run_id}.*")
            return
        try:
            with self.pg(self.admin_url) as c:
                c.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
        except Exception as e:
            log(f"could not drop {self.db_name}: {e}")
        try:
            admin = AdminClient({"bootstrap.servers": self.brokers})
            names = list(self.topics.values()) + list(self.dlqs) + list(self.unit_topics) + [self.enforcement]
            for f in admin.delete_topics(names, operation_timeout=10).values():
                try:
                    f.result(15)
                except Exception:
                    pass
        except Exception as e:
            log(f"could not delete topics: {e}")

    def run(self) -> int:
        t_start = time.monotonic()
        workload = Workload(self.prof, self.cfg, random.Random(self.args.seed), huge=not self.args.no_huge)
        p = self.prof
        marks = p["pupils"] * p["days"] * 2 * (1 + AMEND_RATE)
        self.planned_total = int((marks + 2 * p["exclusion_pupils"] + 1.5 * p["referral_children"]) * (1 + RESEND_RATE + BAD_RATE))
        log(f"run {self.run_id}: {self.args.profile} soak, about {self.planned_total:,} messages, "
            f"{p['kills']} kills, {p['pg_restarts']} PostgreSQL restarts, attendance 1 -> 3 -> 1; binary {self.binary}")
        try:
            self.setup()
        except Exception as e:
            log(f"setup failed: {e}")
            self.fleet.stop_all()
            self.cleanup()
            return 2
        self.timings["setup"] = time.monotonic() - t_start
        t_soak = time.monotonic()
        reader = threading.Thread(target=self.read_outputs, daemon=True)
        reader.start()
        time.sleep(1)
        producer = threading.Thread(target=self.produce, args=(workload,), daemon=True)
        producer.start()
        injector = threading.Thread(target=self.inject, daemon=True)
        injector.start()
        deadline = time.monotonic() + p["drain_timeout"] * 3 + 600
        while (producer.is_alive() or injector.is_alive()) and time.monotonic() < deadline:
            self.fleet.supervise()
            time.sleep(0.5)
        if producer.is_alive() or injector.is_alive():
            log("producer or fault injector did not finish in time")
        self.drain()
        self.timings["soak"] = time.monotonic() - t_soak
        t = time.monotonic()
        self.fleet.stop_all()
        self.reader_stop.set()
        reader.join(30)
        self.timings["stop"] = time.monotonic() - t
        t = time.monotonic()
        try:
            rows = self.check(workload)
        except Exception as e:
            log(f"checks failed: {e!r}")
            self.cleanup()
            return 2
        self.timings["checks"] = time.monotonic() - t
        self.timings["total"] = time.monotonic() - t_start
        n = self.print_table(rows, workload)
        self.cleanup()
        return 1 if n else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=sorted(PROFILES), default="full")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FAULTS_SEED", "8")))
    ap.add_argument("--pupils", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--kills", type=int)
    ap.add_argument("--pg-restarts", dest="pg_restarts", type=int)
    ap.add_argument("--drain-timeout", dest="drain_timeout", type=int, help="seconds to wait for the workers to drain")
    ap.add_argument("--stall-timeout", dest="stall_timeout", type=int, help="give up draining after this long without progress")
    ap.add_argument("--no-huge", action="store_true",
                    help="leave out the one ~1 MB value (whose DLQ copy does not fit: issue 8 item 3)")
    ap.add_argument("--keep", action="store_true", help="keep the run's database and topics")
    args = ap.parse_args()
    soak = Soak(args)
    try:
        return soak.run()
    except KeyboardInterrupt:
        soak.fleet.stop_all()
        return 2


if __name__ == "__main__":
    sys.exit(main())
