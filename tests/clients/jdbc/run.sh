#!/usr/bin/env bash
# JDBC (Debian's PostgreSQL driver) against `heliosdb-nano start --memory`: CRUD,
# prepared statements, transactions, DatabaseMetaData (getTables, getColumns,
# getPrimaryKeys, getImportedKeys, getExportedKeys, getIndexInfo). Prints `jdbc: N passed, M failed`.
# Needs: apt-get install -y default-jdk-headless libpostgresql-jdbc-java
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
helios_init jdbc
jar="${HELIOS_JDBC_JAR:-/usr/share/java/postgresql.jar}"
command -v javac >/dev/null 2>&1 || helios_skip "javac is not installed"
command -v java >/dev/null 2>&1 || helios_skip "java is not installed"
[ -f "$jar" ] || helios_skip "the JDBC driver is not at $jar"
javac -d "$work/classes" -cp "$jar" "$here/JdbcTest.java"
helios_binary
helios_start
if ! java -cp "$work/classes:$jar" JdbcTest "$port"; then
    helios_server_log
    exit 1
fi
