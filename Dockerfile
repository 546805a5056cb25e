# syntax=docker/dockerfile:1
# bookapi: compile with dev dependencies, run with production ones only.
#   docker build -t bookapi .      (docker-compose.yml builds and runs it next to PostgreSQL)

ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only: the embedded PostgreSQL is a devDependency, so the image has none
# and needs DATABASE_URL (docker-compose.yml sets it).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Everything needed to compile src/ (tsc into build/) and bundle it into dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/esbuild-options.mjs scripts/launcher.cjs ./scripts/
COPY scripts/lib/vlq.cjs ./scripts/lib/
COPY src ./src
RUN npm run build
# A new container starts from this code cache of the bundle's module bodies (nothing listens, no
# database): dist/app.js.<hash>.v8. Same flags as CMD (test/compose.e2e-spec.ts keeps them equal);
# V8 rejects a cache taken under flags it hashes, and the start then compiles as without one.
RUN node --max-semi-space-size=8 --max-old-space-size=80 --no-concurrent-recompilation dist/main.js --prime-code-cache

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Nothing under /app is writable: the image has no embedded PostgreSQL (.data) and no development
# API key (production), and a start's code cache goes under /tmp (scripts/launcher.cjs).
USER node
EXPOSE 3000
# Exec form: node is the process that receives SIGTERM and drains (npm would not forward it).
# The heap flags are package.json's config.nodeFlags (test/compose.e2e-spec.ts keeps them equal).
# dist/main.js loads the bundle (dist/app.js) with a V8 code cache and maps stack traces to src/.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=80", "--no-concurrent-recompilation", "dist/main.js"]
