# gpushare-micro in one image: a builder stage with the CUDA toolkit compiles the native addon and the
# TypeScript; the runtime stage holds Node 20, the built package and its production dependencies, and runs
# as a non-root user (uid 10001).
#
#   docker build -t gpushare-micro .
#   docker run --rm --gpus all gpushare-micro info
#   docker run --rm --gpus all -v "$PWD/results:/data/results" gpushare-micro scenario run train+infer
#
# Build arguments:
#   BUILDER_BASE         image with the CUDA toolkit (nvcc); g++, make and cmake are installed with apt when
#                        missing (default nvidia/cuda:13.0.0-devel-ubuntu24.04)
#   RUNTIME_BASE         image the tool runs on (default nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04: the
#                        addon links cudart statically and opens NVML, cuBLAS(Lt), cuDNN and CUPTI with dlopen,
#                        so the cuDNN and cuBLAS workloads need them in the image; the driver comes from the host)
#   GPUSHARE_CUDA_ARCHS  CUDA architectures to compile, e.g. 90a-real for an H200 only (default: the package's,
#                        80;86;89;90a machine code and compute_90 PTX)
#   NODE_IMAGE           where Node 20 comes from: an image (or a stage of this file) that holds a Node 20
#                        installation under /opt/node (bin/node, bin/npm, lib/node_modules/npm), the layout of
#                        Node's release tarballs. The default, node-tarball, is the stage below, which downloads
#                        NODE_TARBALL_URL (Node NODE_VERSION for NODE_ARCH from nodejs.org). An offline build
#                        passes an image it made from a local Node instead: scripts/container/build-local.sh
#                        does that with this machine's node and npm (docs/container.md).
#
# HEALTHCHECK: healthy when `gpushare-micro info --json` reports a usable GPU. A check on `serve` (an HTTP
# endpoint) replaces it once the `serve` command exists; until then there is no long-running command to probe.
ARG BUILDER_BASE=nvidia/cuda:13.0.0-devel-ubuntu24.04
ARG RUNTIME_BASE=nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04
ARG NODE_IMAGE=node-tarball

# Node from its release tarball (used only when NODE_IMAGE is left as is).
FROM ${BUILDER_BASE} AS node-tarball
ARG NODE_VERSION=20.20.2
ARG NODE_ARCH=x64
ARG NODE_TARBALL_URL=https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-${NODE_ARCH}.tar.xz
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl xz-utils \
 && mkdir -p /opt/node \
 && curl -fsSL "${NODE_TARBALL_URL}" | tar -xJ -C /opt/node --strip-components=1 \
 && rm -rf /var/lib/apt/lists/*

FROM ${NODE_IMAGE} AS node

# The addon (cmake-js, nvcc) and the TypeScript; then only the production dependencies are kept.
FROM ${BUILDER_BASE} AS builder
ARG GPUSHARE_CUDA_ARCHS=
COPY --from=node /opt/node /opt/node
ENV PATH=/opt/node/bin:/usr/local/cuda/bin:${PATH}
RUN if ! command -v g++ >/dev/null || ! command -v cmake >/dev/null || ! command -v make >/dev/null; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ make cmake \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
# Dependencies first, without their install scripts (only clang-format-node, a lint tool, has one), so this
# layer is reused while package-lock.json is unchanged.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN GPUSHARE_CUDA_ARCHS="${GPUSHARE_CUDA_ARCHS}" npm run build:native \
 && npm run build:ts \
 && npm prune --omit=dev --no-audit --no-fund \
 && test -f build/Release/gpushare_micro.node

FROM ${RUNTIME_BASE} AS runtime
COPY --from=node /opt/node/bin/node /usr/local/bin/node
RUN groupadd --gid 10001 gpushare \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin gpushare \
 && mkdir -p /data \
 && chown 10001:10001 /data
WORKDIR /app
COPY --from=builder /src/package.json ./
COPY --from=builder /src/node_modules ./node_modules
COPY --from=builder /src/dist ./dist
COPY --from=builder /src/scenarios ./scenarios
COPY --from=builder /src/build/Release/gpushare_micro.node ./build/Release/gpushare_micro.node
# tsc writes main.js without the execute bit that npm would give a package's bin.
RUN chmod 755 /app/dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/gpushare-micro
# Results (scenario run -o, --json) are written under /data: mount a volume there.
WORKDIR /data
USER 10001:10001
HEALTHCHECK --interval=60s --timeout=30s --start-period=10s --retries=3 \
  CMD gpushare-micro info --json | grep -q '"available": true'
ENTRYPOINT ["gpushare-micro"]
CMD ["info"]
