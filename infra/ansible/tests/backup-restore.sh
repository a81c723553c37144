#!/usr/bin/env bash
# Runs the backup and restore scripts the backup role installed (under molecule's throwaway
# root) against this machine's PostgreSQL, with `docker` and `systemctl` replaced by stand-ins:
# `docker compose exec -T postgres CMD` runs CMD here with the postgres container's variables,
# `stop`/`up` only log, `docker volume inspect` names a media folder. It checks, on a database
# set up by infra/docker/postgres-init/10-app-role.sh itself: the dump is written and read
# back, old files are rotated out, and the restore brings back the rows (owned by the
# application's role, the database closed to other roles) and the uploads, after stopping the
# site and the timers and before starting them again.
#   tests/backup-restore.sh ROOT   (ROOT: molecule's throwaway root; check.sh passes it)
# PGHOST, PGPORT and PGUSER (default 127.0.0.1, 5432, postgres) name a superuser of a running
# server; the test's role and database are dropped at exit.
set -euo pipefail
root=${1:?usage: backup-restore.sh ROOT}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
pg_isready -q || { echo "backup-restore.sh: no PostgreSQL at $PGHOST:$PGPORT" >&2; exit 1; }

work=$(mktemp -d /tmp/azionelab-restore.XXXXXX)
suffix=$$
export POSTGRES_USER=$PGUSER APP_DB_NAME="azionelab_ops_$suffix" APP_DB_USER="azionelab_ops_app_$suffix"
export APP_DB_PASSWORD=opsrestoretest
cleanup() {
    dropdb --if-exists "$APP_DB_NAME" || true
    psql -q -d postgres -c "DROP ROLE IF EXISTS \"$APP_DB_USER\"" || true
    rm -rf "$work"
}
trap cleanup EXIT

# The stand-ins, first on PATH.
mkdir -p "$work/bin" "$work/media" "$work/backups" "$work/checkout"
cat > "$work/bin/docker" <<SHIM
#!/usr/bin/env bash
echo "docker \$*" >> "$work/calls.log"
if [ "\$1" = volume ]; then echo "$work/media"; exit 0; fi
shift  # compose
while [ \$# -gt 0 ]; do
    case "\$1" in
        --env-file|-f) shift 2 ;;
        exec) shift; [ "\$1" = -T ] && shift; shift; exec "\$@" ;;
        *) exit 0 ;;  # stop, up: logged only
    esac
done
SHIM
printf '#!/bin/sh\necho "systemctl $*" >> "%s/calls.log"\n' "$work" > "$work/bin/systemctl"
chmod +x "$work/bin/docker" "$work/bin/systemctl"
export PATH="$work/bin:$PATH" AZIONELAB_DIR="$work/checkout" AZIONELAB_BACKUP_DIR="$work/backups"

# The database as the postgres image's first start makes it, with some data of the app's.
sh "$repo/infra/docker/postgres-init/10-app-role.sh" > /dev/null
app() { PGUSER=$APP_DB_USER PGPASSWORD=$APP_DB_PASSWORD psql -q -X -v ON_ERROR_STOP=1 -d "$APP_DB_NAME" "$@"; }
app -c "CREATE TABLE booking (id int PRIMARY KEY, name text); INSERT INTO booking VALUES (1, 'Ada'), (2, 'Bice')"
echo poster > "$work/media/poster.jpg"
touch -d '30 days ago' "$work/backups/backup-2000-01-01.dump" "$work/backups/media-2000-01-01.tar.gz"

echo "-- azionelab-backup"
"$root/usr/local/sbin/azionelab-backup"
day=$(date +%F)
test -s "$work/backups/backup-$day.dump"
test -s "$work/backups/media-$day.tar.gz"
test ! -e "$work/backups/backup-2000-01-01.dump" && test ! -e "$work/backups/media-2000-01-01.tar.gz"
test -z "$(find "$work/backups" -name '.*.tmp')"
test "$(stat -c %a "$work/backups/backup-$day.dump")" = 600

# Damage both, then restore.
app -c "DELETE FROM booking WHERE id = 2; INSERT INTO booking VALUES (3, 'later')"
rm "$work/media/poster.jpg"; echo stray > "$work/media/stray.txt"
: > "$work/calls.log"
echo "-- azionelab-restore"
"$root/usr/local/sbin/azionelab-restore" "$work/backups/backup-$day.dump" "$work/backups/media-$day.tar.gz"

test "$(app -At -c "SELECT string_agg(name, ',' ORDER BY id) FROM booking")" = "Ada,Bice"
test "$(app -At -c "SELECT tableowner FROM pg_tables WHERE tablename = 'booking'")" = "$APP_DB_USER"
test "$(psql -X -At -d postgres -c "SELECT has_database_privilege('public', '$APP_DB_NAME', 'CONNECT')")" = f
test "$(cat "$work/media/poster.jpg")" = poster && test ! -e "$work/media/stray.txt"
# The site and the timers stopped before, and started after.
grep -n . "$work/calls.log" | sed -n '1p;2p;$p' | tr '\n' ' ' \
    | grep -Eq "^1:systemctl stop azionelab-\*\.timer 2:docker compose .* stop nginx backend worker .*systemctl start azionelab-\*\.timer $"
echo "backup and restore: OK (dump, rotation, rows, owner, CONNECT revoked, media, stop/start order)"
