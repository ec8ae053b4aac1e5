#!/usr/bin/env bash
# Installs every tool the client tests (tests/clients/*/run.sh) and the pg_regress runner
# need, on Debian 12 as root (or with sudo): psql and pgbench, a JDK and Debian's JDBC
# driver, node + npm when absent, and the Python packages (psycopg 3, asyncpg,
# SQLAlchemy 2, Django 5) with `pip install --user`, plus node-postgres from package-lock.json.
# Idempotent: what is already there is not reinstalled. Only the Debian, PyPI and npm
# registries are used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "install.sh: run as root (apt-get is needed)" >&2
        exit 1
    fi
fi

need=()
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v pgbench >/dev/null 2>&1 || need+=(postgresql-client)
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
    echo "install.sh: apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    # Debian's JDK postinst needs the man folder that slim images leave out.
    $sudo mkdir -p /usr/share/man/man1
    $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# pgbench lives in postgresql-client on Debian 12 but is not always on PATH.
if ! command -v pgbench >/dev/null 2>&1; then
    for p in /usr/lib/postgresql/*/bin/pgbench; do
        [ -x "$p" ] && $sudo ln -sf "$p" /usr/local/bin/pgbench && break
    done
fi

pip_pkgs=("psycopg[binary]>=3.1" "asyncpg>=0.27" "sqlalchemy>=2,<3" "django>=5,<6")
if ! python3 -c 'import psycopg, asyncpg, sqlalchemy, django; assert int(sqlalchemy.__version__.split(".")[0]) >= 2; assert int(django.__version__.split(".")[0]) >= 5' 2>/dev/null; then
    echo "install.sh: pip install --user ${pip_pkgs[*]}"
    python3 -m pip install --user -q --disable-pip-version-check "${pip_pkgs[@]}" \
        || python3 -m pip install --user -q --disable-pip-version-check --break-system-packages "${pip_pkgs[@]}"
fi

if [ ! -f "$here/node-pg/node_modules/pg/package.json" ]; then
    echo "install.sh: npm ci (tests/clients/node-pg)"
    (cd "$here/node-pg" && npm ci --no-audit --no-fund --silent)
fi
echo "install.sh: client tools ready"
