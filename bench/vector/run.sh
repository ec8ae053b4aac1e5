#!/usr/bin/env bash
# Vector search benchmark: HeliosDB Nano's HNSW (float32 and PQ) vs FAISS on the MiniLM
# Debian embeddings, single thread, release build. Installs faiss-cpu if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${HELIOS_PYTHON:-python3}"
if ! "$PY" -c 'import faiss, numpy' 2>/dev/null; then
    "$PY" -m pip install --quiet faiss-cpu numpy
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
HELIOS_PYTHON="$PY" cargo bench -p helios-vector --bench ann
