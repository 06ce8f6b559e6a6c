# evalhouse API and runner worker image (docker-compose.yml runs it as `serve` and `worker`).
# Stage 1 builds the web UI (Vite, a devDependency); stage 2 has only the runtime dependencies. The server runs
# TypeScript through tsx, which is a runtime dependency on purpose (no compile step, the same code as `npm start`).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# --ignore-scripts: `prepare` would build the UI before its sources are here
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild esbuild
COPY . .
RUN node scripts/build-dashboards.mjs --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DUCKDB_PATH=/app/data/evalhouse.duckdb
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# the built UI first: `prepare` (scripts/build-dashboards.mjs) then finds it current and builds nothing
COPY --from=build /app/dashboards/dist ./dashboards/dist
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data
# the node image's unprivileged user (uid 1000); it owns only the data folder
USER node
EXPOSE 3000
# /health answers 200 (ok) or 503 (degraded: a store or the mirror is failing); the first start (migrations,
# demo data into MySQL) may take a while, hence the start period
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT||3000}/health`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node --import tsx cli/main.ts: the CLI in this process (bin/evalhouse.js adds a parent that would not pass
# SIGTERM on); compose adds `init: true` so that PID 1 forwards signals and reaps children
ENTRYPOINT ["node", "--import", "tsx", "cli/main.ts"]
CMD ["serve"]
