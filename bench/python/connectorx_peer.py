"""Peer: ConnectorX reads the chunk into Arrow, pyarrow writes Parquet (snappy) to a file.

One source session (no partition_on), as a Siphon chunk has. Argument: one JSON object with
url (postgresql://... or mysql://...), sql (the chunk's SELECT) and out (the Parquet path).
"""
import json
import sys

import connectorx as cx
import pyarrow.parquet as pq

from peer_result import Measured, print_result


def main():
    args = json.loads(sys.argv[1])
    with Measured() as measured:
        table = cx.read_sql(args["url"], args["sql"], return_type="arrow")
        pq.write_table(table, args["out"], compression="snappy")
    print_result(measured, table.num_rows, [args["out"]])


if __name__ == "__main__":
    main()
