# Shared helpers for tests/clients/*/run.sh (sourced, not executed).
#
#   source "$(dirname "$0")/../lib/common.sh"
#   helios_init "psycopg"          # sets $root, $bin, $work; cleanup on exit
#   helios_skip "reason"           # exit 0 with a message (exit 1 if HELIOS_REQUIRE_CLIENTS=1)
#   helios_start                   # starts the server on a free port, sets $port
#
# The binary is $HELIOS_BIN when set, else target/debug/heliosdb-nano after
# `cargo build -q -p helios-cli`.

helios_init() {
    helios_name="$1"
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
    work="$(mktemp -d)"
    helios_pids=()
    trap helios_cleanup EXIT
}

helios_cleanup() {
    local p
    for p in "${helios_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${helios_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}

helios_skip() {
    if [ "${HELIOS_REQUIRE_CLIENTS:-0}" = 1 ]; then
        echo "$helios_name: $1 (HELIOS_REQUIRE_CLIENTS=1)" >&2
        exit 1
    fi
    echo "$helios_name: $1; skipped"
    exit 0
}

helios_binary() {
    if [ -n "${HELIOS_BIN:-}" ]; then
        bin="$HELIOS_BIN"
    else
        cargo build -q -p helios-cli --manifest-path "$root/Cargo.toml"
        bin="${CARGO_TARGET_DIR:-$root/target}/debug/heliosdb-nano"
    fi
    [ -x "$bin" ] || { echo "$helios_name: no executable at $bin" >&2; exit 1; }
}

helios_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `heliosdb-nano start --memory` on a free loopback port; sets $port.
helios_start() {
    [ -n "${bin:-}" ] || helios_binary
    port="$(helios_free_port)"
    "$bin" start --memory --port "$port" "$@" 2>>"$work/server.log" &
    helios_pids+=($!)
    local i
    for i in $(seq 1 200); do
        if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "${helios_pids[-1]}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "$helios_name: server on port $port did not come up" >&2
    cat "$work/server.log" >&2
    exit 1
}

# Prints the server log on stderr (call on failure).
helios_server_log() {
    echo "--- server log ($helios_name) ---" >&2
    tail -n 50 "$work/server.log" >&2 || true
}

# Ensures the Python modules are importable, installing the pip packages with
# `pip install --user` when they are not (quick when they already are).
# helios_python_deps "import psycopg" 'psycopg[binary]' ...
helios_python_deps() {
    local check="$1"; shift
    command -v python3 >/dev/null 2>&1 || helios_skip "python3 is not installed"
    if python3 -c "$check" 2>/dev/null; then return 0; fi
    python3 -m pip install --user -q --disable-pip-version-check "$@" >"$work/pip.log" 2>&1 \
        || python3 -m pip install --user -q --break-system-packages --disable-pip-version-check "$@" >>"$work/pip.log" 2>&1 \
        || true
    python3 -c "$check" 2>/dev/null || helios_skip "cannot install $* ($(tail -n 1 "$work/pip.log"))"
}
