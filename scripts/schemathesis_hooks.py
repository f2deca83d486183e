"""schemathesis hooks for govmesh (loaded by scripts/schemathesis through SCHEMATHESIS_HOOKS).

The exchange's upload takes NDJSON (application/x-ndjson), which schemathesis cannot write by
itself: a generated value is sent as one JSON line per item of a list, else as one line (a string
as it is, so the fuzzer can also send text that is not JSON).
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if isinstance(value, str):
        return {"data": value.encode("utf-8", "surrogatepass")}
    rows = value if isinstance(value, list) else [value]
    return {"data": "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8", "surrogatepass")}
