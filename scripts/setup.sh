#!/bin/sh
# Install what synth needs on Debian/Ubuntu with Node 20: Mesa's EGL/GLES (the CPU rendering path)
# through apt when missing, then the npm packages (which builds the TypeScript).
#   scripts/setup.sh           what the service and the demo need
#   scripts/setup.sh --tests   also Debian's PyTorch, ONNX and Pillow, so that `npm test` runs the
#                              checks that need them (gradient export against autograd, the Python
#                              client's torch dataset and classifier export) instead of skipping them
set -eu
cd "$(dirname "$0")/.."

# Mesa's EGL/GLES for the CPU renderer; python3 for a few cross-checks in the tests, and python3-numpy
# for the Python client's suite (clients/python; Pillow and torch are optional there).
APT_PACKAGES="libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri python3 python3-numpy"
case "${1:-}" in
  --tests) APT_PACKAGES="$APT_PACKAGES python3-torch python3-onnx python3-pil" ;;
  "") ;;
  *) echo "setup: unknown option $1 (expected --tests or nothing)" >&2; exit 2 ;;
esac
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing system packages:$missing"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# onnxruntime-node's install script would fetch CUDA binaries from outside the registry; its CPU
# binaries ship in the package. GPU users: see README ("GPU").
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build --silent
fi
