"""What every Python peer prints: one JSON line with its own time, CPU and peak memory.

Time and CPU cover the work only (read, convert, write the file), not the interpreter start and
imports, which a long-running worker pays once. CPU is getrusage(RUSAGE_SELF), user + system,
which on Linux sums every thread of the process (ConnectorX's and Arrow's threads included);
ru_maxrss is the process's peak resident set in KiB.
"""
import json
import resource
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Measured:
    def __enter__(self):
        self.cpu = cpu_seconds()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = cpu_seconds() - self.cpu
        return False


def print_result(measured, rows, files):
    print(json.dumps({
        "rows": rows,
        "files": files,
        "seconds": measured.seconds,
        "cpuSeconds": measured.cpu_seconds,
        "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
