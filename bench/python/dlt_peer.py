"""Peer: dlt's sql_table with the pyarrow backend, loaded as Parquet into a local filesystem
destination (the files a later step uploads).

Argument: one JSON object with url (a SQLAlchemy URL), table, key, lower, upper (the chunk's
inclusive key range, applied with query_adapter_callback and ordered by the key, as Siphon reads
it) and out (a fresh folder). dlt's telemetry is off and its state lives under out.
"""
import glob
import json
import os
import sys

args = json.loads(sys.argv[1])
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DLT_DATA_DIR"] = os.path.join(args["out"], "dlt-data")

import dlt  # noqa: E402 (the environment above must be set first)
import pyarrow.parquet as pq  # noqa: E402
from dlt.sources.sql_database import sql_table  # noqa: E402

from peer_result import Measured, print_result  # noqa: E402


def main():
    key, lower, upper = args["key"], int(args["lower"]), int(args["upper"])

    def chunk_range(query, table):
        column = table.c[key]
        return query.where(column >= lower).where(column <= upper).order_by(column)

    destination = os.path.join(args["out"], "destination")
    with Measured() as measured:
        source = sql_table(credentials=args["url"], table=args["table"], backend="pyarrow", query_adapter_callback=chunk_range)
        pipeline = dlt.pipeline(
            pipeline_name="siphon_bench_peer",
            pipelines_dir=os.path.join(args["out"], "pipelines"),
            destination=dlt.destinations.filesystem(bucket_url="file://" + destination),
            dataset_name="bench",
            progress=None,
        )
        pipeline.run(source, loader_file_format="parquet", write_disposition="replace")
    files = sorted(glob.glob(os.path.join(destination, "bench", args["table"], "*.parquet")))
    print_result(measured, sum(pq.read_metadata(path).num_rows for path in files), files)


if __name__ == "__main__":
    main()
