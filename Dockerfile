# syntax=docker/dockerfile:1
#
# One image for every govmesh service. The entrypoint is `node` with the repository root as the
# working directory; the service is chosen by the argument, the same command as in development:
#
#   docker build -t govmesh/govmesh:0.1.0 .
#   docker run --rm govmesh/govmesh:0.1.0 services/catalog/src/main.ts      # the default CMD
#   docker run --rm govmesh/govmesh:0.1.0 services/request/src/main.ts
#
# The Helm chart (charts/govmesh) sets `args: [services/<name>/src/main.ts]` per Deployment. One
# image keeps the shared packages/ and node_modules/ in one set of layers, one tag to promote and one
# vulnerability scan; a new service needs no new image, only a chart entry.
#
# TypeScript runs as is, through Node 24's type stripping: there is no build step. Node comes from
# the base image, not from the `node` devDependency (dev dependencies are not installed here), so
# keep NODE_IMAGE on the major version that package.json "engines" asks for.
#
# No configuration is baked in: deploy/ is not copied, and the platform file (PLATFORM_CONFIG),
# KAFKA_BROKERS, DATABASE_URL... come from the environment at run time (see charts/govmesh).

ARG NODE_IMAGE=node:24-slim

# --- manifests: only the package.json files of the workspaces, so that the dependency layer below
# is rebuilt when a manifest or the lockfile changes, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY packages ./packages
COPY services ./services
RUN find packages services -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# --- deps: production dependencies only. --ignore-scripts: no install script runs (the `node`
# devDependency's is the one that matters, and dev dependencies are omitted anyway); the runtime
# dependencies are pure JavaScript.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY --from=manifests /src/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="govmesh" \
      org.opencontainers.image.description="govmesh services (catalog, request, audit, ...): run one with its services/<name>/src/main.ts" \
      org.opencontainers.image.licenses="UNLICENSED"
ENV NODE_ENV=production
WORKDIR /app
# Everything is owned by root and read-only to the service user: the code cannot be changed at run
# time (the chart also mounts the root filesystem read-only, with an emptyDir on /tmp).
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY schemas ./schemas
# The .proto files: gRPC server reflection serves them (grpcurl needs no copy of its own).
COPY proto ./proto
# The services listen on HTTP_PORT and GRPC_PORT (the chart uses 8080 and 9090) on HOST; the
# defaults of both ports are 0 (any free port) and of HOST 127.0.0.1, so set all three.
ENV HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    GRPC_PORT=9090
EXPOSE 8080 9090
# The base image's `node` user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
# node is PID 1 and handles SIGTERM itself (backbone onShutdown drains within SHUTDOWN_GRACE_MS).
ENTRYPOINT ["node"]
CMD ["services/catalog/src/main.ts"]
