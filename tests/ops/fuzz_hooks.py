"""Bodies schemathesis cannot generate from the schema alone, for the suite's
fuzz test (tests/ops/test_api_fuzz.py) and for `make fuzz` (tests/ops/fuzz.py,
which loads this module as schemathesis' hooks)."""

import json

import schemathesis
from hypothesis import strategies as st

# NDJSON bodies: a few lines of arbitrary JSON objects, one per line.
schemathesis.openapi.media_type(
    "application/x-ndjson",
    st.lists(
        st.dictionaries(
            st.text(max_size=12), st.integers() | st.text(max_size=20) | st.none(), max_size=4
        ),
        max_size=4,
    ).map(lambda rows: b"\n".join(json.dumps(row).encode() for row in rows)),
)

# OTLP protobuf bodies: arbitrary bytes, which the receivers must refuse with a 4xx.
schemathesis.openapi.media_type("application/x-protobuf", st.binary(max_size=512))
