#!/bin/sh
# deploy/ha: makes this host the synchronous standby of the database primary: a fresh copy of
# the primary's data directory that streams from it. Run as root on the standby host at the
# first install, and on a former primary to rebuild it after a failover:
#   ./standby-setup.sh                                  # the primary is db-primary.internal
#   PRIMARY=db-standby.internal ./standby-setup.sh      # after db-standby was promoted
# Before: PostgreSQL of the primary's major version installed; conf.d/hanko.conf is
# postgresql-standby.conf; pg_hba.conf, this host's certificate and key in /etc/postgresql/ssl/,
# the database CA at $CA; the replicator's password in the postgres user's ~/.pgpass
# (owner postgres, mode 600), one line:
#   *:5432:replication:replicator:PASSWORD
# Written for the Debian and Ubuntu packages; set the variables below for another layout.
# The old data directory is moved aside, never deleted.
set -eu

PRIMARY="${PRIMARY:-db-primary.internal}"
VERSION="${VERSION:-16}"
CLUSTER="${CLUSTER:-main}"
UNIT="${UNIT:-postgresql@$VERSION-$CLUSTER}"
PGDATA="${PGDATA:-/var/lib/postgresql/$VERSION/$CLUSTER}"
PGBIN="${PGBIN:-/usr/lib/postgresql/$VERSION/bin}"
CA="${CA:-/etc/postgresql/ssl/db-ca.pem}"
PGPASS="${PGPASS:-$(getent passwd postgres | cut -d: -f6)/.pgpass}"

# application_name=standby is the name the primary's synchronous_standby_names waits for.
# pg_basebackup -R writes this connection string into primary_conninfo.
CONNINFO="host=$PRIMARY port=5432 user=replicator application_name=standby sslmode=verify-full sslrootcert=$CA passfile=$PGPASS"

fail() {
  echo "standby-setup.sh: $*" >&2
  exit 1
}
as_postgres() {
  runuser -u postgres -- "$@"
}

cd /
[ "$(id -u)" = 0 ] || fail "run it as root"
[ -x "$PGBIN/pg_basebackup" ] || fail "$PGBIN/pg_basebackup not found (set VERSION or PGBIN)"
[ -r "$CA" ] || fail "$CA: the CA of the database servers' certificates is missing"
[ -f "$PGPASS" ] || fail "$PGPASS: the replicator's password is missing (see the top of this file)"
case "$(stat -c %U:%a "$PGPASS")" in
  postgres:[46]00) ;;
  *) fail "$PGPASS: must be owned by postgres, mode 600" ;;
esac

# Never on a running primary: stopping it and moving its data aside would stop the database.
if as_postgres "$PGBIN/pg_isready" -q; then
  if [ "$(as_postgres "$PGBIN/psql" -XAtc 'SELECT pg_is_in_recovery()')" = f ]; then
    fail "this server runs as a primary. To rebuild it as a standby, stop it first: systemctl stop $UNIT"
  fi
fi

systemctl stop "$UNIT"
if [ -e "$PGDATA" ]; then
  aside="$PGDATA.before-standby-$(date +%Y%m%d-%H%M%S)"
  mv "$PGDATA" "$aside"
  echo "the old data directory is now $aside (remove it once the standby streams)"
fi
install -d -o postgres -g postgres -m 700 "$PGDATA"

# -R: starts as a standby of $PRIMARY (standby.signal, primary_conninfo); -X stream: the WAL
# written during the copy comes with it; -c fast: the copy begins at once, not after a spread
# checkpoint.
as_postgres "$PGBIN/pg_basebackup" -d "$CONNINFO" -D "$PGDATA" -R -X stream -c fast -P
systemctl start "$UNIT"

status=""
for _ in $(seq 1 30); do
  status="$(as_postgres "$PGBIN/psql" -XAtc 'SELECT status FROM pg_stat_wal_receiver' 2>/dev/null || true)"
  [ "$status" = streaming ] && break
  sleep 1
done
[ "$status" = streaming ] || fail "not streaming from $PRIMARY after 30 s: see journalctl -u $UNIT"
echo "streaming from $PRIMARY. On the primary, with synchronous_standby_names set and reloaded:"
echo "  sudo -u postgres psql -c 'SELECT application_name, state, sync_state FROM pg_stat_replication'"
echo "must show: standby | streaming | sync"
