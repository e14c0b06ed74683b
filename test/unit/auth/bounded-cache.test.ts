import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedCache } from '../../../src/auth/bounded-cache.ts';

describe('bounded cache', () => {
  it('keeps at most its number of entries, dropping the least recently used', () => {
    const cache = boundedCache<string, number>(3);
    for (const key of ['a', 'b', 'c']) cache.set(key, 1);
    cache.get('a');
    cache.set('d', 1);
    assert.deepEqual([...cache.keys()].sort(), ['a', 'c', 'd']);
    assert.equal(cache.size, 3);
  });

  it('takes the options it is given, such as a lifetime', async () => {
    const cache = boundedCache<string, number>(10, { ttl: 20 });
    cache.set('a', 1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(cache.get('a'), undefined);
  });
});
