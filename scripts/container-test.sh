#!/usr/bin/env bash
# Builds the real Dockerfile and runs the image the way a user would, with podman (no Docker
# engine is needed). Checks, each reported as "ok" or "not ok":
#   - it runs as a non-root user;
#   - with no configuration it starts on the embedded database: /ready, register, and a
#     broadcast sent through the API arriving on a WebSocket;
#   - an unwritable data directory is refused with one line naming the fix;
#   - its HEALTHCHECK follows PORT;
#   - against PostgreSQL as an ordinary (non-superuser) owner role it migrates and serves;
#   - SIGTERM: exit code 0, and an open socket is closed with 1001;
#   - with podman-compose: two replicas behind one port, a broadcast reaching sockets on both.
# Ends with "container: N passed, N failed".
#
# Where Docker Hub cannot be reached, the base images are stand-ins built here: Debian
# bookworm from debootstrap, plus the bun npm package for the API and Debian's own packages
# for PostgreSQL, Redis and nginx. They are cached under localhost/saas-standin-*.
set -uo pipefail
cd "$(dirname "$0")/.."

BUN_IMAGE=${BUN_IMAGE:-docker.io/oven/bun:1.4}
PG_URL=${CONTAINER_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
tag="localhost/saas-api:container-test-$$"
work=$(mktemp -d)
passed=0
failed=0
containers=()
pg_role="saas_container_$$"

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

cleanup() {
  for name in "${containers[@]}"; do podman rm -f -v -t 0 "$name" >/dev/null 2>&1; done
  if [ -n "${compose_project:-}" ]; then
    podman-compose -p "$compose_project" "${compose_files[@]}" down -v -t 2 >/dev/null 2>&1
    podman network rm -f "${compose_project}_default" >/dev/null 2>&1
  fi
  podman rmi -f "$tag" >/dev/null 2>&1
  podman image prune -f >/dev/null 2>&1
  psql "$PG_URL" -qc "drop database if exists ${pg_role} with (force)" >/dev/null 2>&1
  psql "$PG_URL" -qc "drop role if exists ${pg_role}" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# --- podman, configured for this kind of machine -------------------------------------------
need_packages=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null 2>&1 || need_packages+=("$tool"); done
command -v podman-compose >/dev/null 2>&1 || need_packages+=(podman-compose)
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "installing ${need_packages[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >"$work/apt.log" 2>&1 \
    || { apt-get update -q >>"$work/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >>"$work/apt.log" 2>&1; } \
    || tail -n 20 "$work/apt.log"
fi
if ! command -v podman >/dev/null 2>&1; then
  not_ok "podman is not available (apt-get install podman failed), so nothing could be run"
  echo "container: ${passed} passed, ${failed} failed"
  exit 1
fi
# crun cannot set up cgroups here, so runc; and podman's default rlimits (nofile 1048576) are
# above this machine's hard limits, which a non-privileged runtime may not raise.
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"

# --- base images ----------------------------------------------------------------------------
debian_standin() {
  local image=localhost/saas-standin-debian:bookworm
  if ! podman image exists "$image"; then
    echo "building $image with debootstrap" >&2
    debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
      || { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
    tar -C "$work/rootfs" -c . | podman import -q - "$image" >/dev/null || return 1
    rm -rf "$work/rootfs"
  fi
  echo "$image"
}

# A stand-in for oven/bun: the same bun binary (from its npm package), user bun with uid 1000.
bun_standin() {
  local version image debian
  version=$(bun --version)
  image="localhost/saas-standin-bun:${version}"
  if ! podman image exists "$image"; then
    debian=$(debian_standin) || return 1
    mkdir -p "$work/bun" && (cd "$work/bun" && npm pack -q "@oven/bun-linux-x64@${version}" >/dev/null && tar xzf ./*.tgz) || return 1
    cat >"$work/bun/Containerfile" <<EOF
FROM ${debian}
COPY package/bin/bun /usr/local/bin/bun
RUN ln -s /usr/local/bin/bun /usr/local/bin/bunx \
 && groupadd --gid 1000 bun && useradd --uid 1000 --gid bun --create-home --shell /bin/sh bun
WORKDIR /home/bun/app
CMD ["bun"]
EOF
    podman build -q -t "$image" "$work/bun" >/dev/null || return 1
  fi
  echo "$image"
}

if timeout 120 podman pull -q "$BUN_IMAGE" >/dev/null 2>&1; then
  base=$BUN_IMAGE
else
  echo "$BUN_IMAGE cannot be pulled here; building a stand-in"
  base=$(bun_standin) || { not_ok "building a stand-in base image"; echo "container: ${passed} passed, ${failed} failed"; exit 1; }
fi
echo "base image: $base"

# --- the image ------------------------------------------------------------------------------
# The host's CA bundle goes into the build, for a network behind a TLS-inspecting proxy.
ca_bundle=/etc/ssl/certs/ca-certificates.crt
build_ca=()
[ -f "$ca_bundle" ] && build_ca=(-v "$ca_bundle:/run/host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt)
if podman build -q --format docker --build-arg "BUN_IMAGE=$base" "${build_ca[@]}" -t "$tag" . >"$work/build.log" 2>&1; then
  ok "the Dockerfile builds on $base"
else
  tail -n 30 "$work/build.log"
  not_ok "the Dockerfile builds on $base"
  echo "container: ${passed} passed, ${failed} failed"
  exit 1
fi

free_port() { bun -e 'const s = Bun.serve({ port: 0, fetch: () => new Response() }); console.log(s.port); s.stop(true)'; }
# Podman runs HEALTHCHECKs from systemd timers, and there is no systemd here: the checks below
# run the image's HEALTHCHECK themselves with `podman healthcheck run`.
run() { # run NAME ARGS...: a detached container, removed at exit
  containers+=("$1")
  podman run -d --health-interval disable --name "$@" >/dev/null 2>>"$work/podman.log"
}
exit_code_of() { podman wait "$1" 2>/dev/null | tail -n 1; }

# --- no configuration: the embedded database ------------------------------------------------
port=$(free_port)
run "embedded-$$" -p "127.0.0.1:${port}:3000" "$tag"
check "with no configuration it serves on the embedded database: /ready, /docs, register, a broadcast on a socket" \
  bun scripts/container-probe.ts smoke "http://127.0.0.1:${port}"
check "it runs as a non-root user (uid $(podman exec "embedded-$$" id -u 2>/dev/null))" \
  test "$(podman exec "embedded-$$" id -u 2>/dev/null)" -ne 0
check "it keeps its data and generated secrets in the /data volume" \
  podman exec "embedded-$$" test -s /data/jwt-secrets.json -a -d /data/pglite

# SIGTERM with a socket open: the socket hears 1001, the process exits 0.
bun scripts/container-probe.ts hold "http://127.0.0.1:${port}" >"$work/hold.log" 2>&1 &
holder=$!
for _ in $(seq 1 100); do grep -q holding "$work/hold.log" && break; sleep 0.2; done
podman kill --signal TERM "embedded-$$" >/dev/null
code=$(exit_code_of "embedded-$$")
wait "$holder"
check "SIGTERM: exit code 0 (was ${code})" test "$code" = 0
check "SIGTERM: the open socket was closed with 1001 ($(tail -n 1 "$work/hold.log"))" grep -qx "closed 1001" "$work/hold.log"

# A data directory the user cannot write: one line naming the fix, not a stack trace.
podman run --rm --no-healthcheck -e PGLITE_DATA_DIR=/app/data "$tag" >"$work/refusal.log" 2>&1
refusal=$?
check "an unwritable data directory is refused (exit ${refusal}) with one line naming DATABASE_URL" \
  bash -c "[ $refusal -ne 0 ] && [ \$(grep -c . '$work/refusal.log') -eq 1 ] && grep -q DATABASE_URL '$work/refusal.log'"
sed 's/^/    /' "$work/refusal.log"

# --- HEALTHCHECK follows PORT -----------------------------------------------------------------
run "port-$$" -e PORT=4000 "$tag"
for _ in $(seq 1 60); do podman healthcheck run "port-$$" >/dev/null 2>&1 && break; sleep 0.5; done
check "the HEALTHCHECK follows PORT (4000)" podman healthcheck run "port-$$"

# --- PostgreSQL as an ordinary owner role -----------------------------------------------------
# As a DBA would set it up (deploy/postgres/init-api-role.sh does the same for compose): the
# API's role owns its database and is neither superuser nor CREATEROLE; app_tenant, the role
# tenant transactions switch to, is made for it.
create_owner_role() {
  psql "$PG_URL" -qc "create role ${pg_role} login nosuperuser nocreaterole" \
    && psql "$PG_URL" -qc "create database ${pg_role} owner ${pg_role}" \
    && psql "$PG_URL" -qc "do \$\$ begin if not exists (select from pg_roles where rolname = 'app_tenant') then create role app_tenant nologin; end if; end \$\$" \
    && psql "$PG_URL" -qc "grant app_tenant to ${pg_role}"
}
if create_owner_role >/dev/null; then
  port=$(free_port)
  pg_host_url="postgres://${pg_role}@$(echo "$PG_URL" | sed -E 's#^postgres(ql)?://([^@]*@)?([^/]+)/.*#\3#')/${pg_role}"
  run "postgres-$$" --network host -e PORT="$port" -e DATABASE_URL="$pg_host_url" \
    -e JWT_ACCESS_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" -e JWT_REFRESH_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" "$tag"
  check "against PostgreSQL as the non-superuser ${pg_role}: migrated, /ready, register, a broadcast on a socket" \
    bun scripts/container-probe.ts smoke "http://127.0.0.1:${port}"
  check "the tables belong to ${pg_role}, which is no superuser" \
    test "$(psql "${PG_URL%/*}/${pg_role}" -tAc "select count(*) from pg_tables t join pg_roles r on r.rolname = t.tableowner where t.schemaname = 'public' and r.rolname = '${pg_role}' and not r.rolsuper" 2>/dev/null)" -gt 0
  podman kill --signal TERM "postgres-$$" >/dev/null
  code=$(exit_code_of "postgres-$$")
  check "SIGTERM on PostgreSQL: exit code 0 (was ${code})" test "$code" = 0
else
  not_ok "could not create a PostgreSQL role at ${PG_URL} (set CONTAINER_TEST_PG to a superuser URL)"
fi

# --- compose: two replicas behind one port ----------------------------------------------------
# shellcheck source=scripts/compose-test.sh
source scripts/compose-test.sh

echo
echo "container: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
