import test from 'ava';
import { rngFor, type Rng } from '../../src/core/random.js';
import { ErrorSchema } from '../../src/server/schemas.js';
import { call, disposeRenderer, serve, sharedRenderer, slowRenderer } from './helpers.js';

test.after.always(disposeRenderer);

/** A valid spec touching every kind of field: each mutation below must make it invalid. */
const BASE = {
  name: 'fuzz', seed: 1, count: 2, mode: 'random', resolution: [32, 32], format: 'png', quality: 80, classes: ['cube', 'torus'],
  factors: {
    yaw: { uniform: [0, 90] }, texture: { choice: ['default', 'checker'], weights: [1, 2] },
    'camera.elevation': { normal: [20, 5], clip: [10, 30] }, objects: { int: [1, 2] }, environment: { const: 'studio' },
  },
  holdout: [{ class: 'torus', texture: 'checker' }], labels: ['boxes'], minVisiblePixels: 10, split: 'train',
};
const ENVELOPES: Record<string, (spec: unknown) => Record<string, unknown>> = {
  '/v1/render': (spec) => ({ spec, indices: [0, 1] }),
  '/v1/datasets': (spec) => ({ spec, formats: ['imagefolder', 'webdataset'], shardSize: 10 }),
  '/v1/stream': (spec) => ({ spec, start: 0, end: 2 }),
};
const ROUTES = Object.keys(ENVELOPES);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const TYPES = ['number', 'string', 'boolean', 'null', 'array', 'object'] as const;
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function randomValue(rng: Rng, depth = 0, type = rng.pick(TYPES)): Json {
  switch (type) {
    case 'number': return rng.pick([0, -1, 1.5, 1e9, -7, 3]);
    case 'string': return rng.pick(['', 'x', 'cube', '../../etc/passwd', '\u0000', 'ünï', '{']);
    case 'boolean': return rng.next() < 0.5;
    case 'null': return null;
    case 'array': return depth > 2 ? [] : Array.from({ length: rng.int(0, 3) }, () => randomValue(rng, depth + 1));
    default: {
      // Keys no spec or envelope has, and at least one: an empty object would be a valid spec.
      const o: Record<string, Json> = {};
      for (let i = 0, n = rng.int(1, 3); i < n; i++) o[`k${rng.int(0, 999)}`] = depth > 2 ? 1 : randomValue(rng, depth + 1);
      return o;
    }
  }
}

/** Every path (list of keys) inside a JSON value, root excluded. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const out: (string | number)[][] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(p, ...paths(v, p));
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let at = root as Record<string | number, unknown>;
  for (const k of path) at = at[k] as Record<string | number, unknown>;
  return at;
}

/** A body of one of the malformed kinds, as text. */
function malformed(rng: Rng, route: string, i: number): { kind: string; text: string } {
  const wrapped = ENVELOPES[route](BASE);
  const root = rng.next() < 0.5 ? BASE : wrapped;
  switch (i % 5) {
    case 0:
      return { kind: 'random JSON value', text: JSON.stringify(randomValue(rng)) };
    case 1: {
      const path = rng.pick(paths(root));
      const current = typeOf(getAt(root, path));
      const type = rng.pick(TYPES.filter((t) => t !== current));
      return { kind: `wrong type at ${path.join('.')}`, text: JSON.stringify(setAt(root, path, randomValue(rng, 1, type))) };
    }
    case 2: {
      const text = JSON.stringify(root);
      return { kind: 'truncated JSON', text: text.slice(0, rng.int(0, text.length - 1)) };
    }
    case 3: {
      const numeric = paths(root).filter((p) => typeof getAt(root, p) === 'number');
      const path = rng.pick(numeric);
      // Weights and a normal's spread have no upper bound: only numbers past double range (Infinity) are invalid there.
      const overflow = ['1e400', '-1e400', '1.7976931348623157e309'];
      const huge = rng.pick(/weights|normal\.1$/.test(path.join('.')) ? overflow : [...overflow, '1e20', '123456789012345678901234567890', '-9007199254740993']);
      const marker = '"__HUGE__"';
      return { kind: `huge number at ${path.join('.')}`, text: JSON.stringify(setAt(root, path, '__HUGE__')).replace(marker, huge) };
    }
    default: {
      const pick = rng.int(0, 4);
      if (pick === 0) return { kind: 'deep nesting', text: '['.repeat(5000) + ']'.repeat(5000) };
      if (pick === 1) return { kind: 'deep object nesting', text: '{"a":'.repeat(2000) + '1' + '}'.repeat(2000) };
      if (pick === 2) return { kind: 'garbage bytes', text: Array.from({ length: rng.int(1, 40) }, () => String.fromCharCode(rng.int(0, 255))).join('') };
      if (pick === 3) return { kind: 'duplicate and proto keys', text: '{"__proto__": {"count": 1}, "constructor": 1, "count": 2, "count": "x"}' };
      return { kind: 'unknown top-level key', text: JSON.stringify({ ...root, extra: randomValue(rng) }) };
    }
  }
}

test('1,200 malformed bodies all answer 4xx in the error shape, render nothing, and the server stays up', async (t) => {
  const counting = slowRenderer(await sharedRenderer(), 0);
  const server = await serve({ renderer: counting, limits: { bodyLimit: 64 * 1024 } });
  try {
    const rng = rngFor(2024, 0, 'fuzz');
    const cases = Array.from({ length: 1200 }, (_, i) => {
      const route = ROUTES[i % ROUTES.length];
      return { route, ...malformed(rng, route, Math.floor(i / ROUTES.length)) };
    });
    // A few bodies over the size limit, too.
    for (let i = 0; i < 6; i++) cases.push({ route: ROUTES[i % 3], kind: 'over the body limit', text: JSON.stringify({ ...BASE, name: 'x'.repeat(70 * 1024) }) });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++];
        const res = await fetch(server.url + c.route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: c.text });
        const body = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        let ok = res.status >= 400 && res.status < 500;
        try {
          ok &&= ErrorSchema.safeParse(JSON.parse(body)).success && !/\n\s+at /.test(body);
        } catch {
          ok = false;
        }
        if (!ok) failures.push(`${c.route} ${c.kind}: ${res.status} ${body.slice(0, 200)} <- ${c.text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    t.true(cases.length >= 1000);
    t.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${cases.length} bodies were not a 4xx error`);
    t.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    t.true(statuses.has(413), 'the size limit was hit');
    t.is(counting.calls, 0, 'nothing was rendered');
    const health = await call(server, '/v1/health');
    t.is(health.status, 200, 'the server still answers');
    t.deepEqual((await call(server, '/v1/datasets')).json.datasets, [], 'no job was created');
    const fine = await call(server, '/v1/render', { body: BASE });
    t.is(fine.status, 200, `the base spec itself is valid: ${fine.bytes.toString().slice(0, 300)}`);
  } finally {
    await server.shutdown();
  }
});
