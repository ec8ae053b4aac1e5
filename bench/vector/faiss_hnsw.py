#!/usr/bin/env python3
"""FAISS side of the vector benchmark: builds HNSW (float32) and HNSW+PQ (re-ranked with
exact distances) on the same data as crates/vector/benches/ann.rs, single-threaded, and
prints one JSON object per index on stdout.

usage: faiss_hnsw.py DATASET_DIR M EF_CONSTRUCTION PQ_M EF1,EF2,...
"""
import json
import sys
import time

import numpy as np
import faiss


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].copy().view(dtype)


def recall_at_10(found, truth):
    hits = sum(len(set(f[:10]) & set(t[:10])) for f, t in zip(found, truth))
    return hits / (10 * len(truth))


def sweep(index, queries, truth, efs, set_ef):
    out = []
    for ef in efs:
        set_ef(ef)
        found = []
        start = time.perf_counter()
        for q in queries:  # one query at a time, like an SQL `ORDER BY ... LIMIT 10`
            _, ids = index.search(q.reshape(1, -1), 10)
            found.append(ids[0])
        elapsed = time.perf_counter() - start
        out.append({"ef": ef, "qps": len(queries) / elapsed, "recall": recall_at_10(found, truth)})
    return out


def main():
    folder, m, ef_c, pq_m, efs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    efs = [int(e) for e in efs.split(",")]
    faiss.omp_set_num_threads(1)
    base = read_vecs(f"{folder}/base.fvecs", np.float32)
    queries = read_vecs(f"{folder}/query.fvecs", np.float32)
    truth = read_vecs(f"{folder}/groundtruth.ivecs", np.int32)
    dim = base.shape[1]

    flat = faiss.IndexHNSWFlat(dim, m)
    flat.hnsw.efConstruction = ef_c
    start = time.perf_counter()
    flat.add(base)
    build = time.perf_counter() - start

    def set_flat(ef):
        flat.hnsw.efSearch = ef

    print(json.dumps({
        "index": "faiss HNSWFlat",
        "build_s": build,
        "bytes": len(faiss.serialize_index(flat)),
        "sweep": sweep(flat, queries, truth, efs, set_flat),
    }), flush=True)

    hnsw_pq = faiss.IndexHNSWPQ(dim, pq_m, m)
    hnsw_pq.hnsw.efConstruction = ef_c
    refine = faiss.IndexRefineFlat(hnsw_pq)
    start = time.perf_counter()
    refine.train(base)
    refine.add(base)
    build = time.perf_counter() - start

    def set_pq(ef):
        hnsw_pq.hnsw.efSearch = ef
        # Re-rank as many candidates as ef, like our index's default.
        refine.k_factor = max(1.0, ef / 10)

    print(json.dumps({
        "index": "faiss HNSWPQ+RefineFlat",
        "build_s": build,
        "bytes": len(faiss.serialize_index(hnsw_pq)),
        "sweep": sweep(refine, queries, truth, efs, set_pq),
    }), flush=True)


if __name__ == "__main__":
    main()
