import test from 'ava';
import { createHash } from 'node:crypto';
import { call, disposeRenderer, isError, serve, sharedRenderer, slowRenderer, tarGroups, TINY, until } from './helpers.js';

test.after.always(disposeRenderer);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('POST /v1/stream answers a chunked WebDataset tar, in index order, that parses back', async (t) => {
  const server = await serve({ limits: { maxStreamCount: 50 } });
  try {
    const spec = { ...TINY, count: 12, labels: ['segmentation'] };
    const res = await fetch(`${server.url}/v1/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    t.is(res.status, 200);
    t.is(res.headers.get('content-type'), 'application/x-tar');
    t.is(res.headers.get('transfer-encoding'), 'chunked', 'streamed, not buffered');
    t.is(res.headers.get('x-synth-count'), '12');
    const bytes = Buffer.from(await res.arrayBuffer());
    t.true(bytes.subarray(bytes.length - 1024).every((b) => b === 0), 'ends with the tar end marker');
    const groups = tarGroups(bytes);
    t.deepEqual([...groups.keys()], Array.from({ length: 12 }, (_, i) => String(i).padStart(8, '0')), 'one group per sample, in order');
    for (const [key, members] of groups) {
      t.deepEqual([...members.keys()].sort(), ['cls', 'json', 'png', 'seg.png', 'sem.png'], key);
      const record = JSON.parse(members.get('json')!.toString());
      t.is(record.id, key);
      t.is(sha(members.get('png')!), record.sha256);
      t.is(members.get('cls')!.toString(), String(record.label));
      t.is(typeof record.caption, 'string');
    }
    const five = await call(server, '/v1/render', { body: { spec, indices: [5] } });
    t.is(five.json.samples[0].sha256, JSON.parse(groups.get('00000005')!.get('json')!.toString()).sha256, 'streamed sample 5 equals rendered sample 5');

    const slice = await call(server, '/v1/stream', { body: { spec, start: 3, end: 6 } });
    t.is(slice.status, 200);
    t.deepEqual([...tarGroups(slice.bytes).keys()], ['00000003', '00000004', '00000005']);

    const capped = await call(server, '/v1/stream', { body: { ...TINY, count: 51 } });
    isError(t, capped, 400, 'limit_exceeded');
    t.regex(capped.json.error.message, /cap maxStreamCount/);
    isError(t, await call(server, '/v1/stream', { body: { spec, start: 6, end: 6 } }), 400);
    isError(t, await call(server, '/v1/stream', { body: { spec, end: 13 } }), 400);
  } finally {
    await server.shutdown();
  }
});

test('a stream stops rendering when the client disconnects', async (t) => {
  const slow = slowRenderer(await sharedRenderer(), 15);
  const server = await serve({ renderer: slow });
  try {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/stream`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...TINY, count: 100_000 }), signal: controller.signal,
    });
    t.is(res.status, 200);
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 4 * 2048) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.length;
    }
    t.true(received > 0, 'some samples arrived');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    await until(async () => (await call(server, '/v1/health')).json.inFlight.streams === 0, 10_000, 'the stream to end');
    const calls = slow.calls;
    await new Promise((r) => setTimeout(r, 400));
    t.true(slow.calls <= calls, `no renders after the disconnect (${calls} then ${slow.calls})`);
    t.true(calls < 200, `rendering stopped early (${calls} renders of 100000)`);
  } finally {
    await server.shutdown();
  }
});

test('shutdown cuts open streams and finishes in-flight renders', async (t) => {
  const slow = slowRenderer(await sharedRenderer(), 30);
  const server = await serve({ renderer: slow });
  const stream = fetch(`${server.url}/v1/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...TINY, count: 100_000 }) })
    .then(async (res) => {
      try {
        await res.arrayBuffer();
        return 'complete';
      } catch {
        return 'cut';
      }
    }, () => 'cut');
  const render = call(server, '/v1/render', { body: { ...TINY, count: 8 } });
  await until(() => server.stats.streams === 1 && server.stats.requests >= 2 && slow.calls > 2, 10_000, 'work in flight: the stream and the render');
  await server.shutdown();
  const r = await render;
  t.is(r.status, 200, 'the in-flight render finished');
  t.is(r.json.samples.length, 8);
  t.is(await Promise.race([stream.then((s) => s), new Promise((res) => setTimeout(() => res('hung'), 5000))]), 'cut', 'the open stream is cut, not ended as if complete');
});
