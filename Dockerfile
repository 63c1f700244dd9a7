# syntax=docker/dockerfile:1
# twofold: build with dev dependencies, run with production ones only.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
COPY emulator ./emulator
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# A larger young generation: fewer scavenges of the short-lived objects every RPC makes
# (docs/operations.md "Node.js flags"); the same flag as `npm start`.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=64 \
    TWOFOLD_ADDR=0.0.0.0:50051 \
    TWOFOLD_DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# tsc does not copy .sql files; the migrator finds them here (see src/store/migrate.ts).
COPY --from=build /app/src/store/migrations ./src/store/migrations
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 50051
# grpc.health.v1 over Connect JSON: no extra tools needed in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:50051/grpc.health.v1.Health/Check',{method:'POST',headers:{'content-type':'application/json'},body:'{}'}).then(r=>r.json()).then(j=>process.exit(j.status==='SERVING'?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/cli/main.js", "serve"]
