import test from 'ava';
import { llvmpipeThreads, SMALL_FRAME_PIXELS } from '../../src/render/gpu.js';

test('llvmpipe threads: one per core, at least four, at most sixteen', (t) => {
  t.is(llvmpipeThreads(1), 4);
  t.is(llvmpipeThreads(2), 4);
  t.is(llvmpipeThreads(8), 8);
  t.is(llvmpipeThreads(64), 16);
});

test('llvmpipe threads: none when two renderer threads or more render small frames (each rasterises its own)', (t) => {
  t.is(llvmpipeThreads(2, 2, 64 * 64), 0);
  t.is(llvmpipeThreads(2, 4, SMALL_FRAME_PIXELS), 0);
  t.is(llvmpipeThreads(2, 2, 224 * 224), 0);
  // one renderer keeps llvmpipe's threads at any size; large or unknown frames keep them too
  t.is(llvmpipeThreads(2, 1, 64 * 64), 4);
  t.is(llvmpipeThreads(2, 2, 512 * 512), 4);
  t.is(llvmpipeThreads(8, 2, SMALL_FRAME_PIXELS + 1), 8);
  t.is(llvmpipeThreads(2, 2), 4);
});
