"""The Connect client sends the default string collation as none, so the server types such a
column as on a classic session; other collations are sent as they are."""

from __future__ import annotations

from pyspark.sql.types import ArrayType, IntegerType, StringType, StructField, StructType

from paasport.job.connect_fixes import plain_default_strings


def test_default_strings_go_without_a_collation_at_every_depth() -> None:
    from pyspark.sql.connect import types as connect_types

    current = connect_types.pyspark_types_to_proto_types
    unfixed = getattr(current, "__wrapped__", current)  # another test may have fixed it
    assert unfixed(StringType()).string.collation == "UTF8_BINARY"  # what the fix is for
    plain_default_strings()
    plain_default_strings()  # idempotent: wrapped once
    from pyspark.sql.connect import expressions, plan, types

    convert = types.pyspark_types_to_proto_types
    assert expressions.pyspark_types_to_proto_types is convert is plan.pyspark_types_to_proto_types
    assert convert(StringType()).string.collation == ""
    nested = StructType(
        [StructField("a", ArrayType(StringType())), StructField("b", IntegerType())]
    )
    element = convert(nested).struct.fields[0].data_type.array.element_type
    assert element.string.collation == ""
    assert convert(StringType("UTF8_LCASE")).string.collation == "UTF8_LCASE"
