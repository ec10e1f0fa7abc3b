# syntax=docker/dockerfile:1
# Multi-stage build: dependencies and the SDK/dashboard build happen in throwaway stages; the runtime image holds
# production dependencies, the server source (Bun runs TypeScript directly), migrations and built assets, and runs
# as the unprivileged `bun` user. One image serves both roles: `server` (default) and `worker`.

ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION} AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile

FROM deps AS build
COPY . .
RUN bun run build

FROM oven/bun:${BUN_VERSION}-slim AS prod-deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production

FROM oven/bun:${BUN_VERSION}-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json bun.lock tsconfig.json ./
COPY server ./server
COPY shared ./shared
COPY drizzle ./drizzle
COPY --from=build /app/sdk/dist ./sdk/dist
COPY --from=build /app/client/dist ./client/dist
COPY --from=build /app/demo ./demo
RUN mkdir -p /app/data && chown bun:bun /app/data
USER bun
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:8000/api/v1/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "server/main.ts", "server"]
