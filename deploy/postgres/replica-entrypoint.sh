#!/bin/sh
# The read replica: on first start, a base backup of the primary (pg_basebackup -R writes the
# standby.signal and primary_conninfo that make it follow the primary by streaming
# replication); then PostgreSQL as a hot standby, which answers reads and refuses writes.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	until PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
		--host="$PRIMARY_HOST" --username=replicator --pgdata="$PGDATA" \
		--write-recovery-conf --wal-method=stream --checkpoint=fast; do
		echo "waiting for the primary at $PRIMARY_HOST…"
		sleep 2
	done
	chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
