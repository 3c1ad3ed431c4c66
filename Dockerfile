# syntax=docker/dockerfile:1
# The base image is an argument so that a machine without Docker Hub can build on a stand-in
# (scripts/container-test.sh makes one from Debian packages and the bun npm package).
ARG BUN_IMAGE=oven/bun:1.4

FROM ${BUN_IMAGE} AS deps
# Behind a TLS-inspecting proxy, mount its CA bundle into the build and name it here
# (scripts/container-test.sh does); an ARG of this stage never reaches the final image.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json bun.lock ./
# The client package is a workspace: its manifest belongs to the lockfile (and /docs/ws serves its bundle).
COPY packages/client/package.json ./packages/client/
RUN bun install --frozen-lockfile --production

FROM ${BUN_IMAGE}
WORKDIR /app
# Without DATABASE_URL the API runs on the embedded database in /data, with JWT secrets it
# generates once and keeps there: `docker run -p 3000:3000 -v saas-data:/data <image>` is a
# working trial. Production deployments set DATABASE_URL and the secrets (see docker-compose.yml).
ENV NODE_ENV=production PORT=3000 PGLITE_DATA_DIR=/data/pglite
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages/client/node_modules ./packages/client/node_modules
COPY package.json ./
COPY packages/client/package.json ./packages/client/
COPY packages/client/src ./packages/client/src
COPY src ./src
COPY drizzle ./drizzle
# Created owned by the app's user before VOLUME, so a fresh volume starts out writable by it.
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME /data
# Numeric, so that an orchestrator's "run as non-root" check can verify it without /etc/passwd.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# bun is PID 1 and handles SIGTERM itself: sockets are told 1001, in-flight requests finish.
# Migrations run at start-up under an advisory lock, so replicas may start together.
CMD ["bun", "src/main.ts"]
