# Self-hosted fedge: the Worker and its Durable Objects in workerd, state in /data
# (docs/operations.md#self-hosting). No Cloudflare account is involved.
#
#   docker build -t fedge .
#   docker run -p 8787:8787 -v fedge-data:/data \
#     -e ADMIN_TOKEN="$(openssl rand -base64 48)" -e TOKEN_SECRET="$(openssl rand -base64 48)" fedge
#
# Keep the two secrets: device tokens are signed with TOKEN_SECRET. CORS_ORIGINS, DEFAULT_REGION
# and ALLOW_REGION_OVERRIDE may be set the same way (-e); wrangler.toml has their defaults.
FROM node:22-bookworm-slim
WORKDIR /app
ENV CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The bundle and fedge.capnp are made once, here; starting the container only checks the secrets.
RUN npm run build:wasm \
  && node --disable-warning=ExperimentalWarning --import tsx scripts/serve-workerd.ts --build-only --out /app/workerd

VOLUME /data
EXPOSE 8787
# serve-workerd.ts passes SIGTERM to workerd and exits once it has stopped.
CMD ["node", "--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/serve-workerd.ts", \
     "--skip-build", "--out", "/app/workerd", "--data", "/data", "--ip", "0.0.0.0", "--port", "8787"]
