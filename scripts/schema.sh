#!/usr/bin/env bash
# The schema that the migrations build, and the migrations themselves, checked against what is
# committed:
#   scripts/schema.sh check    fails when a shipped migration was edited, a migration is not
#                              listed yet or not in migrations/index.ts, or the migrated schema
#                              differs from migrations/schema.sql
#   scripts/schema.sh update   lists new migrations and rewrites migrations/schema.sql
# Needs the compiled CLI (npm run build:js) and a Postgres server: the one in DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/postgres. It migrates a database of its own there and
# drops it after. pg_dump is the server's major version's (pg_config --bindir), so the snapshot
# does not change with whichever client happens to be first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
[[ "$mode" == check || "$mode" == update ]] || { echo "usage: $0 check|update" >&2; exit 2; }

SNAPSHOT=migrations/schema.sql
SHIPPED=migrations/shipped.sha256
migration_files() { find migrations -maxdepth 1 -name '[0-9]*-*.ts' | LC_ALL=C sort; }

# --- Shipped migrations are never edited: each listed file must still have its checksum. ---
status=0
touch "$SHIPPED"
while read -r sum file; do
  if [[ ! -f "$file" ]]; then
    echo "$file is listed in $SHIPPED but is gone: a shipped migration is never removed." >&2
    status=1
  elif [[ "$(sha256sum "$file" | cut -d' ' -f1)" != "$sum" ]]; then
    echo "$file was edited after it shipped: a shipped migration is never changed. Put the change" >&2
    echo "  in a new migration instead (npm run migration:generate -- --name X, or write one)." >&2
    echo "  Only if $file has never been merged anywhere, delete its line from $SHIPPED and run" >&2
    echo "  npm run schema:update." >&2
    status=1
  fi
done <"$SHIPPED"
[[ $status -eq 0 ]] || exit 1

unlisted=$(migration_files | while read -r f; do grep -qF "  $f" "$SHIPPED" || echo "$f"; done)
if [[ -n "$unlisted" ]]; then
  if [[ "$mode" == check ]]; then
    echo "new migrations not listed in $SHIPPED yet (npm run schema:update lists them):" >&2
    echo "$unlisted" | sed 's/^/  /' >&2
    status=1
  else
    echo "$unlisted" | xargs sha256sum >>"$SHIPPED"
    echo "listed in $SHIPPED:"
    echo "$unlisted" | sed 's/^/  /'
  fi
fi

# A migration file that migrations/index.ts does not import is never applied.
for f in $(migration_files); do
  if ! grep -qF "from './$(basename "$f" .ts)'" migrations/index.ts; then
    echo "$f is not imported in migrations/index.ts (ALL_MIGRATIONS): it would never run." >&2
    status=1
  fi
done

# --- The whole schema: a fresh database, migrated, dumped, normalised. ---
server="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="tally_schema_$(date +%s)_$$"
url_of() { node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.href)' "$server" "$1"; }
admin_url=$(url_of postgres)
bindir=$(pg_config --bindir 2>/dev/null || dirname "$(command -v pg_dump)")

psql -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE ${db}" >/dev/null
trap 'psql -q "$admin_url" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
# Booting the CLI applies every migration (as the service does); `migration run` then only reports.
DATABASE_URL="$(url_of "$db")" node dist/apps/cli/src/main.js migration run >/dev/null

# Stable text: without pg_dump's comment lines and version headers (a `--` inside a function body
# stays), SET lines and session settings, \restrict keys (random per dump), owners and grants;
# blank lines squeezed. pg_dump's own order (by kind, then name) stays.
dumped=$(mktemp)
trap 'rm -f "$dumped"; psql -q "$admin_url" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
"$bindir/pg_dump" --schema-only --no-owner --no-privileges "$(url_of "$db")" |
  sed -E -e '/^--$/d' -e '/^-- (Name|TOC entry|Dumped from|Dumped by|PostgreSQL database dump|Started on|Completed on)/d' \
    -e '/^SET /d' -e '/^SELECT pg_catalog\.set_config/d' -e '/^\\(un)?restrict /d' |
  cat -s | sed -e '1{/^$/d}' >"$dumped"

if [[ "$mode" == update ]]; then
  cp "$dumped" "$SNAPSHOT"
  echo "wrote $SNAPSHOT"
  exit 0
fi
if ! diff -u --label "$SNAPSHOT (committed)" --label "migrated schema" "$SNAPSHOT" "$dumped" >&2; then
  echo >&2
  echo "The schema the migrations build differs from $SNAPSHOT (above: - committed, + migrated)." >&2
  echo "If the change is meant, run npm run schema:update and commit $SNAPSHOT with the migration." >&2
  exit 1
fi
[[ $status -eq 0 ]] || exit 1
echo "schema: migrations unchanged, and the migrated schema matches $SNAPSHOT"
