#!/usr/bin/env bash
# pg_dump -Fc of Pantau's PostgreSQL database (PANTAU_DATABASE_URL) into PANTAU_BACKUP_DIR as
# pantau-YYYYmmddTHHMMSSZ.dump, checked readable with pg_restore --list, then only the newest
# PANTAU_BACKUP_KEEP dumps are kept. Run by pantau-backup.service; docs/deploy.md shows the
# restore. Needs pg_dump/pg_restore of the server's major version or newer (Debian:
# postgresql-client-15).
set -euo pipefail
umask 077

dir=${PANTAU_BACKUP_DIR:-/var/backups/pantau}
keep=${PANTAU_BACKUP_KEEP:-14}
url=${PANTAU_DATABASE_URL:?PANTAU_DATABASE_URL is not set (load /etc/pantau/pantau.env)}

case $url in
  postgresql*://*) ;;
  *) echo "pantau-backup: PANTAU_DATABASE_URL is not a PostgreSQL URL; back up the SQLite file instead" >&2; exit 2 ;;
esac
if ! [[ $keep =~ ^[1-9][0-9]*$ ]]; then
  echo "pantau-backup: PANTAU_BACKUP_KEEP must be a whole number of at least 1, not '$keep'" >&2
  exit 2
fi

# libpq's URL has no SQLAlchemy driver (postgresql+psycopg:// -> postgresql://). The password
# goes in PGPASSWORD, not on pg_dump's command line where `ps` would show it.
url="postgresql://${url#*://}"
if [[ $url =~ ^postgresql://([^:@/]*):([^@/]*)@(.*)$ ]]; then
  password=${BASH_REMATCH[2]}
  export PGPASSWORD
  printf -v PGPASSWORD '%b' "${password//%/\\x}"  # percent-decoded, as SQLAlchemy reads it
  url="postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
fi

mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$dir/pantau-$stamp.dump"
trap 'rm -f -- "$file.partial"' EXIT  # a failed dump leaves nothing that looks like a backup
pg_dump --format=custom --dbname="$url" --file="$file.partial"
# An archive pg_restore cannot read is no backup: check before it counts as one.
pg_restore --list "$file.partial" >/dev/null
mv "$file.partial" "$file"
echo "pantau-backup: $file ($(stat -c %s "$file") bytes)"

# Retention by count, after a good dump only.
mapfile -t old < <(ls -1t "$dir"/pantau-*.dump | tail -n +"$((keep + 1))")
for f in "${old[@]}"; do
  rm -f -- "$f"
  echo "pantau-backup: removed $f (keeping the newest $keep)"
done
