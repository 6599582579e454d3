import test from 'ava';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { WriterPool, writerThreads } from '../../src/pipeline/writer-pool.js';
import { InputError } from '../../src/core/errors.js';
import { encodeRgbaAsRgbPng, encodePng } from '../../src/pipeline/png.js';
import { encodeImage } from '../../src/pipeline/encode.js';
import { decodeNpy } from '../../src/pipeline/npy.js';
import { depthToUint16 } from '../../src/labels/depth.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function pixels(w: number, h: number, seed: number): Uint8Array {
  const a = new Uint8Array(w * h * 4);
  for (let i = 0; i < a.length; i++) a[i] = (i * 31 + seed * 7 + (i >> 6)) & 255;
  return a;
}

function maps(w: number, h: number) {
  const instanceMask = new Uint8Array(w * h).map((_, i) => i % 3);
  const depth = new Float32Array(w * h).map((_, i) => (i % 5 === 0 ? Infinity : 1 + i / 1000));
  return { width: w, height: h, instanceMask, depth };
}

test('writer threads: SYNTH_WRITER_THREADS when set, else the cores the renderers leave (1 to 8)', (t) => {
  t.is(writerThreads(1, 2, {}), 1, 'two cores, one renderer: one thread');
  t.is(writerThreads(8, 16, {}), 7, '16 cores, 8 renderer threads, the main thread: 7');
  t.is(writerThreads(2, 64, {}), 8, 'at most 8 by default');
  t.is(writerThreads(8, 16, { SYNTH_WRITER_THREADS: '3' }), 3);
  t.throws(() => writerThreads(1, 2, { SYNTH_WRITER_THREADS: 'many' }), { instanceOf: InputError, message: /SYNTH_WRITER_THREADS: expected an integer from 1 to 16, got "many"/ });
  t.throws(() => new WriterPool({ threads: 0 }), { instanceOf: RangeError, message: /writer threads: expected an integer from 1 to 16, got 0/ });
});

test('three threads encode the same PNG, npy and label bytes as the main-thread encoders, write them, and give their sha256', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-writer-'));
  const pool = new WriterPool({ threads: 3 });
  try {
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map(async (k) => {
      const rgba = pixels(48, 32, k);
      const expected = await encodeImage(new Uint8Array(rgba), 48, 32, 'png');
      const got = await pool.encodeSample({
        rgba, width: 48, height: 32, format: 'png', labels: maps(48, 32),
        imagePath: join(dir, 'images', `a${k}`, `${k}.png`), labelPaths: { seg: join(dir, 'labels', `${k}.seg.png`), depth: join(dir, 'labels', `${k}.depth.png`) },
      });
      return { expected, got, k };
    }));
    t.true(pool.threads >= 2 && pool.threads <= 3, `threads start as work needs them, up to 3 (${pool.threads})`);
    const m = maps(48, 32);
    const seg = await encodePng('grey8', m.instanceMask, 48, 32);
    const depth = await encodePng('grey16', depthToUint16(m.depth), 48, 32);
    for (const { expected, got, k } of results) {
      t.deepEqual(got.image.bytes, expected);
      t.is(got.image.sha256, sha(expected));
      t.deepEqual(await readFile(join(dir, 'images', `a${k}`, `${k}.png`)), expected, 'the file holds the bytes');
      t.deepEqual(got.labels.map((l) => l.kind), ['seg', 'depth'], 'label maps in LABEL_FILE_KINDS order');
      t.deepEqual(got.labels[0].bytes, seg);
      t.deepEqual(got.labels[1].bytes, depth);
      t.is(got.labels[1].sha256, sha(depth));
      t.deepEqual(await readFile(join(dir, 'labels', `${k}.depth.png`)), depth);
    }
    const raw = await pool.encodeSample({ rgba: pixels(8, 4, 9), width: 8, height: 4, format: 'raw', labels: maps(8, 4), imagePath: null, labelPaths: null });
    const image = decodeNpy(raw.image.bytes);
    t.deepEqual(image.shape, [4, 8, 3]);
    t.is(image.dtype, 'uint8');
    const rgba = pixels(8, 4, 9);
    t.deepEqual([...image.data.subarray(0, 6)], [rgba[0], rgba[1], rgba[2], rgba[4], rgba[5], rgba[6]], 'RGB, alpha dropped');
    const depthNpy = decodeNpy(raw.labels[1].bytes);
    t.deepEqual([depthNpy.dtype, depthNpy.shape], ['uint16', [4, 8]]);
    t.deepEqual([...depthNpy.data], [...depthToUint16(maps(8, 4).depth)], 'depth as uint16 counts, as in the PNG');
    const jpeg = await pool.encodeSample({ rgba: pixels(16, 16, 1), width: 16, height: 16, format: 'jpeg', quality: 80, labels: null, imagePath: join(dir, 'j.jpg'), labelPaths: null });
    t.deepEqual(jpeg.image.bytes, await encodeImage(pixels(16, 16, 1), 16, 16, 'jpeg', 80), 'jpeg as sharp encodes it');
    t.deepEqual(await readFile(join(dir, 'j.jpg')), jpeg.image.bytes);
    await pool.file(join(dir, 'labels', 'x.txt'), 'hello');
    t.is(await readFile(join(dir, 'labels', 'x.txt'), 'utf8'), 'hello');
    t.false((await readdir(join(dir, 'labels'))).some((f) => f.includes('.tmp')), 'no temp file left');
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed write rejects with the reason and leaves no temp file; bad pixels reject; after close, requests reject', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-writer-'));
  const pool = new WriterPool({ threads: 2 });
  try {
    await writeFile(join(dir, 'blocker'), 'a file where a folder should be');
    await t.throwsAsync(pool.file(join(dir, 'blocker', 'x.png'), 'data'), { message: /EEXIST|ENOTDIR|not a directory|file already exists/i });
    await t.throwsAsync(pool.encodeSample({ rgba: new Uint8Array(10), width: 4, height: 4, format: 'png', labels: null, imagePath: join(dir, 'y.png'), labelPaths: null }), { message: /expected 4x4x4 = 64 bytes, got 10/ });
    t.deepEqual((await readdir(dir)).sort(), ['blocker'], 'nothing written for the failures');
    t.is(await readFile(join(dir, 'blocker'), 'utf8'), 'a file where a folder should be');
    t.true(pool.alive, 'failed requests do not stop the pool');
    t.deepEqual((await pool.encodeSample({ rgba: pixels(4, 4, 0), width: 4, height: 4, format: 'png', labels: null, imagePath: null, labelPaths: null })).image.bytes, await encodeRgbaAsRgbPng(pixels(4, 4, 0), 4, 4, 2), 'it goes on working');
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
  t.false(pool.alive);
  await t.throwsAsync(pool.file(join(dir, 'z'), 'late'), { message: /closed/ });
});
