import test from 'ava';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { SampleWriter } from '../../src/export/sample-writer.js';
import { encodeRgbaAsRgbPng } from '../../src/export/png.js';

function pixels(w: number, h: number, seed: number): Uint8Array {
  const a = new Uint8Array(w * h * 4);
  for (let i = 0; i < a.length; i++) a[i] = (i * 31 + seed * 7 + (i >> 6)) & 255;
  return a;
}

test('the worker encodes the same PNG bytes as the main-thread encoder, writes them, and gives their sha256', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-writer-'));
  const writer = new SampleWriter();
  try {
    const results = await Promise.all([0, 1, 2].map(async (k) => {
      const rgba = pixels(48, 32, k);
      const expected = await encodeRgbaAsRgbPng(rgba, 48, 32, 4);
      const got = await writer.png(rgba, 48, 32, 4, join(dir, 'images', `a${k}`, `${k}.png`));
      return { expected, got, k };
    }));
    for (const { expected, got, k } of results) {
      t.deepEqual(got.bytes, expected);
      t.is(got.sha256, createHash('sha256').update(expected).digest('hex'));
      t.deepEqual(await readFile(join(dir, 'images', `a${k}`, `${k}.png`)), expected, 'the file holds the bytes');
    }
    const encodedOnly = await writer.png(pixels(8, 8, 9), 8, 8, 4, null);
    t.deepEqual(encodedOnly.bytes, await encodeRgbaAsRgbPng(pixels(8, 8, 9), 8, 8, 4));
    await writer.file(join(dir, 'labels', 'x.txt'), 'hello');
    t.is(await readFile(join(dir, 'labels', 'x.txt'), 'utf8'), 'hello');
    t.deepEqual((await readdir(join(dir, 'labels'))), ['x.txt'], 'no temp file left');
  } finally {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed write rejects with the reason and leaves no temp file; bad pixels reject; after close, requests reject', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-writer-'));
  const writer = new SampleWriter();
  try {
    await writeFile(join(dir, 'blocker'), 'a file where a folder should be');
    await t.throwsAsync(writer.file(join(dir, 'blocker', 'x.png'), 'data'), { message: /EEXIST|ENOTDIR|not a directory|file already exists/i });
    await t.throwsAsync(writer.png(new Uint8Array(10), 4, 4, 4, join(dir, 'y.png')), { message: /expected 4x4x4 = 64 bytes, got 10/ });
    t.deepEqual((await readdir(dir)).sort(), ['blocker'], 'nothing written for the failures');
    t.is(await readFile(join(dir, 'blocker'), 'utf8'), 'a file where a folder should be');
    t.true(writer.alive, 'failed requests do not stop the thread');
  } finally {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  }
  t.false(writer.alive);
  await t.throwsAsync(writer.file(join(dir, 'z'), 'late'), { message: /closed/ });
});
