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
ENV NODE_ENV=production \
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
CMD ["node", "dist/src/cli/main.js", "serve"]
