"""The processing effect of the CSV-summary assignment, checked on the student's output.

The grader calls ``check_summary(upload, output, tag)`` in a separate process with the
CSV it uploaded (its ids carry ``tag``, drawn at send time) and the bytes of an output file
the app wrote after the response. Return None when the output is right, else one sentence
the student reads.
"""

import csv
import io
import json


def expected(upload: bytes) -> dict:
    rows = list(csv.DictReader(io.StringIO(upload.decode("utf-8"))))
    total = sum(int(r["quantity"]) * float(r["unit_price"]) for r in rows)
    return {"rows": len(rows), "total": round(total, 2), "first_id": rows[0]["id"]}


def check_summary(upload: bytes, output: bytes, tag: str):
    want = expected(upload)
    try:
        got = json.loads(output.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "the summary is not JSON"
    if not isinstance(got, dict):
        return "the summary is not a JSON object"
    if got.get("rows") != want["rows"]:
        return f"rows is {got.get('rows')!r}, the upload has {want['rows']} rows"
    if not isinstance(got.get("total"), (int, float)) or abs(got["total"] - want["total"]) > 0.005:
        return f"total is {got.get('total')!r}, the upload's revenue is {want['total']}"
    if got.get("first_id") != want["first_id"]:
        return f"first_id is {got.get('first_id')!r}, not the first row's id of this upload"
    return None
