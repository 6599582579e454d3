import test from 'ava';
import { llvmpipeThreads } from '../../src/render/gpu.js';

test('llvmpipe threads: one per core, at least four, at most sixteen', (t) => {
  t.is(llvmpipeThreads(1), 4);
  t.is(llvmpipeThreads(2), 4);
  t.is(llvmpipeThreads(8), 8);
  t.is(llvmpipeThreads(64), 16);
});
