# Sourced by scripts/container-test.sh (its helpers, $tag and $work): docker-compose.yml with
# the replicas profile, run by podman-compose. PostgreSQL initialised by the init script, two
# API replicas behind nginx, Redis for shared limits; sockets spread over both replicas must
# all receive a broadcast sent through the one port.

compose_images() { # the official images, or stand-ins from Debian packages where they cannot be pulled
  local service official debian
  for service in postgres:postgres:16 redis:redis:7 nginx:nginx:1.27; do
    local name=${service%%:*} reference=docker.io/library/${service#*:}
    if timeout 120 podman pull -q "$reference" >/dev/null 2>&1; then
      official=$reference
    else
      official="localhost/saas-standin-${name}:bookworm"
      if ! podman image exists "$official"; then
        debian=$(debian_standin) || return 1
        echo "building $official from Debian packages" >&2
        podman build -q --build-arg "DEBIAN=$debian" -t "$official" -f "scripts/standins/${name}.Containerfile" scripts/standins >"$work/standin-${name}.log" 2>&1 \
          || { tail -n 20 "$work/standin-${name}.log" >&2; return 1; }
      fi
    fi
    printf -v "$(echo "${name}_image" | tr '[:lower:]' '[:upper:]')" '%s' "$official"
  done
}

if ! command -v podman-compose >/dev/null 2>&1; then
  echo "skipped: the two-replica compose test needs podman-compose (apt-get install podman-compose)"
elif ! compose_images; then
  not_ok "building stand-in images for compose"
else
  compose_project="saas_compose_$$"
  compose_files=(-f docker-compose.yml)
  proxy_port=$(free_port)
  secret() { head -c 48 /dev/urandom | base64 | tr -d '\n/+='; }
  # Every setting from the environment, so that a developer's own .env is not needed (shell
  # variables win over .env in compose).
  export POSTGRES_IMAGE REDIS_IMAGE NGINX_IMAGE API_IMAGE="$tag" PROXY_PORT="$proxy_port" API_PORT="$(free_port)" \
    POSTGRES_ADMIN_PASSWORD="$(secret)" API_DB_PASSWORD="$(secret)" JWT_ACCESS_SECRET="$(secret)" JWT_REFRESH_SECRET="$(secret)" \
    REDIS_URL=redis://redis:6379 TRUST_PROXY=true COMPOSE_PROFILES=replicas \
    SMTP_URL= CORS_ORIGINS= METRICS_TOKEN= OTEL_EXPORTER_OTLP_ENDPOINT= ACTIVITY_RETENTION_DAYS= \
    NODE_ENV=development # as a copied .env.example would have it: the container must still be production
  # podman-compose 1.0 has no --profile (it starts every service), so they are named.
  if podman-compose -p "$compose_project" "${compose_files[@]}" up -d --no-build db redis api api-2 proxy >"$work/compose.log" 2>&1; then
    ok "podman-compose up: db, redis, api, api-2 and the proxy"
  else
    tail -n 30 "$work/compose.log"
    not_ok "podman-compose up: db, redis, api, api-2 and the proxy"
  fi
  check "a broadcast sent through the proxy reaches sockets on both replicas" \
    bun scripts/container-probe.ts fan-out "http://127.0.0.1:${proxy_port}" 4
  for replica in api api-2; do
    sockets=$(podman logs "${compose_project}_${replica}_1" 2>/dev/null | grep -c '"path":"/ws"')
    check "replica ${replica} held some of the sockets (${sockets})" test "${sockets:-0}" -gt 0
  done
  check "the API connects as saas_api, which is no superuser" \
    test "$(podman exec "${compose_project}_db_1" psql -U postgres -tAc "select rolsuper from pg_roles where rolname = 'saas_api'" 2>/dev/null)" = f
  check "NODE_ENV is production in the container" \
    test "$(podman exec "${compose_project}_api_1" printenv NODE_ENV 2>/dev/null)" = production
fi
