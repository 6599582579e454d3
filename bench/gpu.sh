#!/bin/bash
# The GPU measurements of docs/performance.md in one run, for the lent GPU machine (see
# ../shared/gpu/README.md): after `./scripts/setup.sh` and `../shared/gpu/prepare.sh` here, call the
# device with carry [".gpu"] and `bash .gpu/run.sh bash bench/gpu.sh` (about 5 minutes on an H200; the steps' limits add up to 560 s).
# Writes everything it prints to $OUT/gpu-bench.txt as well (or ./gpu-bench.txt without $OUT).
# Each step has its own time limit, so one that hangs does not cost the rest. QUICK=1 shrinks every
# step (a smoke run on a CPU machine: SYNTH_JS=<compiled sources> QUICK=1 bash bench/gpu.sh).
set -u
quick=${QUICK:-0}
images=1500; exports=3000; sizes=224,512
[ "$quick" = 1 ] && { images=100; exports=200; sizes=64; }
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
  step 120 node $js/bench/render.js --sizes $sizes $([ "$quick" = 1 ] && echo --quick)
  step 150 node $js/bench/render.js --skip-table --scaling --max-workers 8 --max-writers 8 --scaling-images $images
  # The same table at 224² with one frame per readback, against the default batch of the first step.
  step 50 node $js/bench/render.js --sizes ${sizes%%,*} --quick --batch 1
  for size in 224 512; do
    for format in png raw jpeg; do
      spec=$(mktemp --suffix .json)
      node -e "const s=require('./scenes/demo.json'); Object.assign(s,{count:$exports,resolution:[$size,$size],format:'$format'}); process.stdout.write(JSON.stringify(s))" > "$spec"
      rm -rf /tmp/gpu-export
      echo "# scenes/demo.json as $exports samples, ${size}², $format"
      step 40 node $js/src/cli/main.js export --spec "$spec" --out /tmp/gpu-export --quiet
      rm -f "$spec"
    done
  done
} 2>&1 | tee "$out"
