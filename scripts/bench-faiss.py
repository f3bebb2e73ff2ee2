#!/usr/bin/env python3
"""faiss's binary multi-hash index on the data of `bulwark bench index`, side by side.

    bulwark bench index --hashes 1000000 --queries 10000 --write-dataset /tmp/pdq-bench
    python3 scripts/bench-faiss.py /tmp/pdq-bench [--radius 31]

Builds faiss.IndexBinaryMultiHash(256 bits, 16 tables, 16 bits per table) (the same
multi-index layout as Bulwark's), answers each query alone with range_search on one
thread, and reports build time, latency (p50, p99, max), queries/s, memory, and recall of
the planted near-duplicates. Needs `pip install faiss-cpu==1.15.1 numpy` (not installed by
scripts/setup.sh: the benchmark is not part of the tests).
"""
import argparse
import os
import resource
import sys
import time


def read_hex(path):
    import numpy as np

    with open(path) as f:
        rows = [line.strip() for line in f if line.strip()]
    # PDQ hex is most significant digit first; faiss compares bytes, so any fixed byte
    # order of the 32 bytes gives the same Hamming distances.
    return np.frombuffer(bytes.fromhex("".join(rows)), dtype=np.uint8).reshape(len(rows), 32)


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("--radius", type=int, default=31)
    parser.add_argument("--tables", type=int, default=16)
    parser.add_argument("--nflip", type=int, default=None)
    args = parser.parse_args()
    try:
        import faiss
        import numpy as np
    except ImportError:
        sys.exit("bench-faiss: run `pip install faiss-cpu numpy` first")
    faiss.omp_set_num_threads(1)

    hashes = read_hex(os.path.join(args.dataset, "hashes.hex"))
    queries = read_hex(os.path.join(args.dataset, "queries.hex"))
    planted = {}
    with open(os.path.join(args.dataset, "planted.csv")) as f:
        for line in f:
            q, row, d = (int(x) for x in line.split(","))
            if d <= args.radius:
                planted.setdefault(q, set()).add(row)

    before = rss_mib()
    t0 = time.perf_counter()
    index = faiss.IndexBinaryMultiHash(256, args.tables, 256 // args.tables)
    # Bits flipped per table when probing: radius // tables is what 100% recall needs
    # (faiss's default, 0, probes exact substrings only and misses near-duplicates).
    index.nflip = args.nflip if args.nflip is not None else args.radius // args.tables
    index.add(hashes)
    build = time.perf_counter() - t0
    memory = rss_mib() - before

    latencies = []
    found = 0
    total = sum(len(v) for v in planted.values())
    for i in range(min(100, len(queries))):  # warm-up
        index.range_search(queries[i : i + 1], args.radius + 1)
    start = time.perf_counter()
    for i in range(len(queries)):
        t = time.perf_counter()
        lims, _dist, labels = index.range_search(queries[i : i + 1], args.radius + 1)  # distance < radius + 1
        latencies.append(time.perf_counter() - t)
        got = set(labels[lims[0] : lims[1]].tolist())
        found += len(planted.get(i, set()) & got)
    elapsed = time.perf_counter() - start
    latencies.sort()
    us = lambda s: f"{s * 1e6:.1f}"
    print(f"faiss {faiss.__version__} IndexBinaryMultiHash(256, {args.tables}, {256 // args.tables}), "
          f"nflip {index.nflip}, one thread")
    print(f"index: {len(hashes)} hashes, radius {args.radius}; build {us(build)} µs")
    print(f"memory: about {memory * 1048576 / len(hashes):.0f} bytes per hash (RSS growth {memory:.0f} MiB)")
    print(f"queries: {len(queries)}, {len(queries) / elapsed:.0f} per second")
    print(f"latency: p50 {us(latencies[len(latencies) // 2])} µs, "
          f"p99 {us(latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)])} µs, max {us(latencies[-1])} µs")
    print(f"recall: {found}/{total} planted near-duplicates found")


if __name__ == "__main__":
    main()
