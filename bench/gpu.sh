#!/bin/bash
# The GPU measurements of docs/performance.md in one run, for the lent GPU machine (see
# ../shared/gpu/README.md): after `./scripts/setup.sh` and `../shared/gpu/prepare.sh` here, call the
# device with carry [".gpu"] and `bash .gpu/run.sh bash bench/gpu.sh` (about 7 minutes on an H200).
# Writes everything it prints to $OUT/gpu-bench.txt as well (or ./gpu-bench.txt without $OUT).
# Each step has its own time limit, so one that hangs does not cost the rest.
set -u
out=${OUT:-.}/gpu-bench.txt
js=${SYNTH_JS:-.gpu/js} # compiled sources (SYNTH_JS=dist tries the script here after npm run build)
step() {
  local limit=$1; shift; echo "## $* (limit ${limit}s)"
  local t0; t0=$(date +%s.%N)
  timeout "$limit" "$@" 2>&1 | grep -v 'artificially reduced'
  echo "-- rc ${PIPESTATUS[0]}, $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s wall"
}
{
  nvidia-smi -L 2>/dev/null; nproc
  step 150 node $js/bench/render.js --sizes 224,512
  step 150 node $js/bench/render.js --skip-table --scaling --max-workers 8 --max-writers 8 --scaling-images 1500
  for size in 224 512; do
    for format in png raw jpeg; do
      spec=$(mktemp --suffix .json)
      node -e "const s=require('./scenes/demo.json'); Object.assign(s,{count:3000,resolution:[$size,$size],format:'$format'}); process.stdout.write(JSON.stringify(s))" > "$spec"
      rm -rf /tmp/gpu-export
      step 60 node $js/src/cli/main.js export --spec "$spec" --out /tmp/gpu-export --quiet
    done
  done
} 2>&1 | tee "$out"
