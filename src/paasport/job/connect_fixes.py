"""A thin fix of PySpark 4.2's Spark Connect client, applied when a job opens a Connect session.

The client sends every StringType with its collation named, UTF8_BINARY included, and the
server then makes it an explicitly collated string: a column a UDF or a cast typed `StringType()`
is written to Parquet as "string collate UTF8_BINARY" in Spark's schema, where the same job on
a classic session writes "string". The data is the same, the files and their schemas are not.
Sending the default collation as no collation (what the proto's empty field means) makes the
server's type the plain StringType, as on a classic session. Tested by
tests/paasport/job/test_connect_fixes.py.
"""

from __future__ import annotations

from typing import Any

_DEFAULT_COLLATION = "UTF8_BINARY"
_MODULES = ("pyspark.sql.connect.types", "pyspark.sql.connect.expressions",
            "pyspark.sql.connect.plan")  # fmt: skip


def plain_default_strings() -> None:
    """Patch the client's type conversion where it is bound (idempotent)."""
    import functools
    import importlib

    from pyspark.sql.types import StringType

    types = importlib.import_module(_MODULES[0])
    original = types.pyspark_types_to_proto_types
    if getattr(original, "_paasport_fixed", False):
        return

    @functools.wraps(original)
    def to_proto(data_type: Any) -> Any:
        proto = original(data_type)
        if isinstance(data_type, StringType) and data_type.collation == _DEFAULT_COLLATION:
            proto.string.ClearField("collation")
        return proto

    setattr(to_proto, "_paasport_fixed", True)  # noqa: B010
    for name in _MODULES:  # the names `from ... import` bound, and types' own recursion
        setattr(importlib.import_module(name), "pyspark_types_to_proto_types", to_proto)  # noqa: B010
