"""An independent reader of what Siphon writes, for the tests: delta-rs (Python `deltalake`)
opens a Delta table in Azurite and pyarrow reads Parquet files. Reads one JSON request on stdin,
prints one JSON answer on stdout. Values are printed in exact text forms, never through a double:
integers and decimals as their digits, floats as Python's repr (shortest round trip), timestamps as
integer microseconds, dates as days since 1970-01-01, binary as hex."""
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def exact(column: pa.ChunkedArray) -> list:
    kind = column.type
    if isinstance(kind, pa.BaseExtensionType):  # arrow.uuid, arrow.json: their storage, in the forms below
        return exact(pa.chunked_array([chunk.storage for chunk in column.chunks], type=kind.storage_type))
    if pa.types.is_timestamp(kind):
        return [None if v is None else str(v) for v in column.cast(pa.int64()).to_pylist()]
    if pa.types.is_date32(kind):
        return column.cast(pa.int32()).to_pylist()
    if pa.types.is_time(kind):
        return [None if v is None else str(v) for v in column.cast(pa.int64()).to_pylist()]
    if pa.types.is_integer(kind):
        return [None if v is None else str(v) for v in column.to_pylist()]
    if pa.types.is_decimal(kind):
        return [None if v is None else format(v, "f") for v in column.to_pylist()]
    if pa.types.is_floating(kind):
        return [None if v is None else repr(float(v)) for v in column.to_pylist()]
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return [None if v is None else v.hex() for v in column.to_pylist()]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return column.cast(pa.large_string()).to_pylist()
    return column.to_pylist()


def rows_of(table: pa.Table) -> list:
    columns = {name: exact(table.column(name)) for name in table.column_names}
    return [{name: values[i] for name, values in columns.items()} for i in range(table.num_rows)]


def read_delta(request: dict) -> dict:
    from deltalake import DeltaTable

    options = request.get("storage_options")
    version = request.get("version")
    table = DeltaTable(request["uri"], storage_options=options) if version is None else DeltaTable(request["uri"], storage_options=options, version=version)
    if request.get("load_as_version") is not None:
        table.load_as_version(request["load_as_version"])
    data = table.to_pyarrow_table()
    protocol = table.protocol()
    return {
        "version": table.version(),
        "schema": json.loads(table.schema().to_json()),
        "partitionColumns": table.metadata().partition_columns,
        "protocol": {
            "minReaderVersion": protocol.min_reader_version,
            "minWriterVersion": protocol.min_writer_version,
            "readerFeatures": protocol.reader_features,
            "writerFeatures": protocol.writer_features,
        },
        "arrowSchema": [{"name": f.name, "type": str(f.type)} for f in data.schema],
        "numRows": data.num_rows,
        "rows": rows_of(data),
        "files": table.file_uris(),
        "history": [{"version": h.get("version"), "operation": h.get("operation")} for h in table.history()],
    }


def read_parquet(request: dict) -> dict:
    table = pq.read_table(request["path"])
    return {
        "arrowSchema": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        "numRows": table.num_rows,
        "rows": rows_of(table),
    }


def main() -> None:
    request = json.load(sys.stdin)
    try:
        answer = read_delta(request) if request["kind"] == "delta" else read_parquet(request)
    except Exception as error:  # the test shows what the reader refused, and why
        answer = {"error": f"{type(error).__name__}: {error}"}
    json.dump(answer, sys.stdout)
    sys.stdout.flush()
    # Leave without the interpreter's teardown: delta-rs's runtime threads can abort the process
    # while it unloads ("terminate called without an active exception"), after the answer is out.
    os._exit(0)


main()
