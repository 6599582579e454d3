"""A Python port of src/core/random.ts (rngFor: murmur3-mixed seeds into sfc32, Box-Muller normals), so
Python scripts can rebuild the exact noise the TypeScript sampler starts from:
normalNoise(rngFor(seed, index, 'noise'), C*H*W), values in CHW order."""
import math

M32 = 0xffffffff


def _imul(a, b):
    return (a * b) & M32


def mix32(h):
    h &= M32
    h ^= h >> 16
    h = _imul(h, 0x85ebca6b)
    h ^= h >> 13
    h = _imul(h, 0xc2b2ae35)
    h ^= h >> 16
    return h & M32


def hash_string(text):
    h = 0x811c9dc5
    for ch in text:
        h ^= ord(ch)
        h = _imul(h, 0x01000193)
    return mix32(h)


class Rng:
    """sfc32 with the same warm-up and helpers as rngFor."""

    def __init__(self, seed, index, purpose=''):
        s = mix32((seed & M32) ^ 0x9e3779b9)
        hi = index // 4294967296
        i = mix32((index & M32) ^ mix32((hi + 0x632be5ab) & M32))
        p = hash_string(purpose)
        self.a, self.b, self.c, self.d = s, i, p, mix32(s ^ i ^ p ^ 0x5bd1e995)
        for _ in range(12):
            self.next()

    def next(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        d = (d + 1) & M32
        a = b ^ (b >> 9)
        b = (c + ((c << 3) & M32)) & M32
        c = ((c << 21) & M32) | (c >> 11)
        c = (c + t) & M32
        self.a, self.b, self.c, self.d = a, b, c, d
        return t / 4294967296

    def normal(self):
        u = 1 - self.next()
        v = self.next()
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)

    def normals(self, n):
        """src/diffusion/sampler.ts normalNoise: Box-Muller on pairs, cosine then sine branch."""
        out = []
        for i in range(0, n, 2):
            r = math.sqrt(-2 * math.log(1 - self.next()))
            a = 2 * math.pi * self.next()
            out.append(r * math.cos(a))
            if i + 1 < n:
                out.append(r * math.sin(a))
        return out


if __name__ == '__main__':
    r = Rng(7, 42, 'yaw')
    got = [round(r.next() * 1e9) for _ in range(4)]
    assert got == [362344742, 382817276, 330088819, 939863224], got
    print('rngFor golden sequence matches')
