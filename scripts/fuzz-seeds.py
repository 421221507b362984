#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz target (`make fuzz`) into fuzz/corpus.

An input is one Kafka record (Sources/FrontDoorFuzzing/DecoderRulesHarness.swift): a first
byte `0` then a structured-mode value, or `1`, header lines `key:value`, an empty line and
the value (binary mode). Seeds: every sample of contract/samples in structured mode, every
input sample in binary mode, and the edge cases of issue 8 (deep nesting, long strings,
invalid UTF-8, numbers out of range, days that do not exist, years 0001 and 9999, absurd
headers). Run from the repository root; it only adds or overwrites `seed-*` files.
"""
import json, os, glob

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "corpus")
os.makedirs(out, exist_ok=True)
inputs = ["attendance.mark.v1", "exclusion.issued.v1", "exclusion.rescinded.v1", "referral.received.v1",
          "referral.resolved.v1", "enforcement.decision.v1"]


def write(name, data):
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(data)


def structured(obj):
    return b"0" + json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def binary(obj, extra=b""):
    lines = [b"content-type:application/json"]
    for k, v in sorted(obj.items()):
        if k in ("data", "datacontenttype"):
            continue
        lines.append(b"ce_" + k.encode() + b":" + str(v).encode())
    return b"1" + b"\n".join(lines) + extra + b"\n\n" + json.dumps(obj["data"], separators=(",", ":")).encode()


def sample(t):
    with open(os.path.join(root, "contract", "samples", t + ".json")) as f:
        return json.load(f)


for path in sorted(glob.glob(os.path.join(root, "contract", "samples", "**", "*.json"), recursive=True)):
    rel = os.path.relpath(path, os.path.join(root, "contract", "samples")).replace("/", "_")
    with open(path, "rb") as f:
        write("sample-" + rel[:-5], b"0" + f.read())

for t in inputs:
    s = sample(t)
    write("binary-" + t, binary(s))

mark = sample("attendance.mark.v1")
referral = sample("referral.received.v1")


def with_data(obj, **fields):
    o = json.loads(json.dumps(obj))
    o["data"].update(fields)
    return o


def with_env(obj, **fields):
    o = json.loads(json.dumps(obj))
    o.update(fields)
    return o


write("deep-array", b"0" + b"[" * 5000)
write("deep-data", b"0" + json.dumps(with_data(mark, minutesLate=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])).encode())
write("deep-objects", b"0" + b'{"a":' * 40 + b"1" + b"}" * 40)
write("long-details", structured(with_data(referral, details="x" * 5000)))
write("long-id", structured(with_env(mark, id="7" * 3000)))
raw = structured(mark)
write("invalid-utf8-value", raw.replace(b'"AM"', b'"A\xc0"'))
write("invalid-utf8-header", binary(mark).replace(b"ce_id:", b"ce_id:\xff\xfe", 1))
for literal, name in [(b"1e400", "1e400"), (b"-0", "minus-zero"), (b"18446744073709551616", "2-to-64"),
                      (b"-9223372036854775809", "below-int-min"), (b"1e-400", "tiny"), (b"7.0", "integral-float")]:
    write("number-" + name, raw.replace(b'"minutesLate":null', b'"minutesLate":' + literal))
    write("extension-" + name, raw.replace(b'"specversion"', b'"myext":' + literal + b',"specversion"'))
for day, name in [("2026-02-30", "feb-30"), ("0001-01-01", "year-0001"), ("9999-12-31", "year-9999"),
                  ("2000-01-03", "first-monday-2000"), ("2099-12-31", "last-day-2099")]:
    write("mark-date-" + name, structured(with_data(mark, date=day)))
for time, name in [("0001-01-01T00:00:00Z", "year-0001"), ("9999-12-31T12:00:00Z", "year-9999"),
                   ("9999-12-31T23:59:59-23:59", "year-9999-offset"), ("2000-01-01T00:30:00+01:00", "2000-offset")]:
    write("referral-time-" + name, structured(with_env(referral, time=time)))
    write("mark-time-" + name, binary(with_env(mark, time=time)))
child = dict(referral["data"]["child"])
for dob in ["1989-12-31", "1990-01-01", "0001-01-01"]:
    c = dict(child, dateOfBirth=dob)
    write("referral-dob-" + dob, structured(with_data(referral, child=c)))
write("header-long-name", binary(mark, b"\nce_" + b"a" * 9997 + b":x"))
write("header-nul", binary(mark, b"\nce_trace\x00id:1"))
write("header-nul-value", binary(mark).replace(b"ce_id:", b"ce_id:\x00", 1))
write("header-duplicate", binary(mark, b"\nCE_ID:again"))
write("header-null-value", binary(mark, b"\nce_subject"))
write("binary-empty-value", b"1ce_specversion:1.0\n\n")
write("empty", b"")
