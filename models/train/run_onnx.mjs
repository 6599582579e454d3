#!/usr/bin/env node
// Run an ONNX graph once with onnxruntime-node on raw little-endian tensors, for the Python export
// checks (models/train/export_guided.py), since Debian's Python has no onnxruntime.
//
//   node models/train/run_onnx.mjs <model.onnx> <io-dir>
//
// <io-dir>/inputs.json maps each graph input to {"file": "<name>.bin", "dtype": "float32"|"int64",
// "shape": [...]}, the files lying beside it. Every graph output is written to <io-dir>/<output>.bin,
// and <io-dir>/outputs.json maps each output name to {"file", "dtype", "shape"}. One intra-op thread.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const TYPED = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, float64: Float64Array, bool: Uint8Array };

async function main() {
  const [modelPath, dir] = process.argv.slice(2);
  if (!modelPath || !dir) throw new Error('usage: node run_onnx.mjs <model.onnx> <io-dir>');
  const spec = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const feeds = {};
  for (const [name, { file, dtype, shape }] of Object.entries(spec)) {
    const Typed = TYPED[dtype];
    if (!Typed) throw new Error(`input ${name}: unsupported dtype ${dtype}`);
    const bytes = readFileSync(join(dir, file));
    const count = shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== count * Typed.BYTES_PER_ELEMENT) throw new Error(`input ${name}: ${bytes.length} bytes in ${file}, expected ${count} ${dtype} for shape [${shape}]`);
    const data = new Typed(count); // copy: a Buffer's offset need not be aligned for the typed array
    new Uint8Array(data.buffer).set(bytes);
    feeds[name] = new ort.Tensor(dtype, data, shape);
  }
  const results = await session.run(feeds);
  const manifest = {};
  for (const name of session.outputNames) {
    const t = results[name];
    const file = `${name}.bin`;
    writeFileSync(join(dir, file), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    manifest[name] = { file, dtype: t.type, shape: t.dims.map(Number) };
  }
  writeFileSync(join(dir, 'outputs.json'), JSON.stringify(manifest, null, 2) + '\n');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
