# synth: the CPU rendering path (Dawn on Mesa llvmpipe, surfaceless EGL).
# Keep the apt package list in step with scripts/setup.sh.
FROM node:20-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri \
 && rm -rf /var/lib/apt/lists/*
ENV EGL_PLATFORM=surfaceless \
    ONNXRUNTIME_NODE_INSTALL=skip \
    NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY scenes ./scenes
COPY assets ./assets
COPY models ./models
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
VOLUME ["/data"]
ENTRYPOINT ["node", "/app/dist/cli/synth.js"]
CMD ["export", "--spec", "/app/scenes/demo.json", "--out", "/data/demo", "--overwrite"]
