#!/usr/bin/env bash
# Starts the core and the SCIM gateway on this machine for `make run`: an
# embedded SQLite database in DATA_DIR (or the Postgres of DATABASE_URL), a
# demo Enterprise organisation with one SCIM client, and everything a person
# needs printed as shell-sourceable lines. Ctrl-C stops both services.
set -euo pipefail

cd "$(dirname "$0")/../.."

SCIM_PORT=${SCIM_PORT:-8080}
ADMIN_PORT=${ADMIN_PORT:-8081}
GRPC_PORT=${GRPC_PORT:-9090}

# The demo credentials file belongs to one database, so a run on Postgres
# keeps its own data directory and never mixes its demo client with the
# SQLite one.
if [ -z "${DATA_DIR:-}" ]; then
	DATA_DIR=data
	if [ -n "${DATABASE_URL:-}" ]; then
		DATA_DIR=data/postgres-$(printf '%s' "$DATABASE_URL" | sha256sum | cut -c1-8)
	fi
fi
mkdir -p "$DATA_DIR"
chmod 700 "$DATA_DIR"

for port_var in SCIM_PORT ADMIN_PORT GRPC_PORT; do
	port=${!port_var}
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "port $port is already in use on 127.0.0.1: stop what holds it or set $port_var" >&2
		exit 1
	fi
done

export DATA_DIR
export PROVISIONING_GRPC_ADDR=127.0.0.1:$GRPC_PORT
export ADMIN_HTTP_ADDR=127.0.0.1:$ADMIN_PORT
export SCIM_LISTEN_ADDR=127.0.0.1:$SCIM_PORT
export LOG_FORMAT=${LOG_FORMAT:-text}

# The demo lines of the core's standard output hold tokens, so they go to a
# file in the private data directory and are shown once both services
# answer.
demo_out=$DATA_DIR/.demo-stdout
: >"$demo_out"
chmod 600 "$demo_out"

pids=()
cleanup() {
	trap '' INT TERM
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -f "$demo_out"
}
trap cleanup EXIT
trap 'echo; echo "stopping both services..."; exit 0' INT TERM

wait_for() {
	local name=$1 url=$2 pid=$3
	for _ in $(seq 1 150); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name exited before it was ready; see its log above" >&2
			exit 1
		fi
		if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
		sleep 0.2
	done
	echo "$name did not become ready at $url within 30 seconds" >&2
	exit 1
}

bin/provisioning --demo >"$demo_out" &
pids+=($!)
wait_for "provisioning" "http://127.0.0.1:$ADMIN_PORT/readyz" "${pids[0]}"

bin/scim-gateway &
pids+=($!)
wait_for "scim-gateway" "http://127.0.0.1:$SCIM_PORT/readyz" "${pids[1]}"

demo_value() { grep -m1 "^$1=" "$demo_out" | cut -d= -f2-; }

if [ -n "${DATABASE_URL:-}" ]; then
	where="the Postgres database of DATABASE_URL; demo credentials in $DATA_DIR"
else
	where="$DATA_DIR/provisioning.db (SQLite)"
fi

cat <<MSG

CRA Evidence SCIM provisioning is running. Paste these lines into another
shell to use the curl examples of the README:

SCIM_BASE_URL=http://127.0.0.1:$SCIM_PORT/scim/v2
SCIM_TOKEN=$(demo_value SCIM_TOKEN)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
ADMIN_TOKEN=$(demo_value ADMIN_TOKEN)
ORGANIZATION_ID=$(demo_value ORGANIZATION_ID)

Data: $where. The same SCIM token works after a restart.
Press Ctrl-C to stop.
MSG

wait -n "${pids[@]}" || true
echo "a service stopped unexpectedly; see its log above" >&2
exit 1
