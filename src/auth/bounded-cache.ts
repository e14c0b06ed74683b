import { LRUCache } from 'lru-cache';

type CacheOptions<K extends {}, V extends {}> = Omit<
  LRUCache.Options<K, V, unknown>,
  'max' | 'maxSize' | 'sizeCalculation'
>;

/**
 * An LRU cache of at most `entries` entries that takes memory as it fills. Given `max`, lru-cache
 * allocates its arrays for all of them at once: some 3 MiB per 100 000 entries, at rest, for each cache.
 */
export function boundedCache<K extends {}, V extends {}>(
  entries: number,
  options: CacheOptions<K, V> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: () => 1 });
}
