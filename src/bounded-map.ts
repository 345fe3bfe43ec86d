/**
 * A Map that holds at most `capacity` entries: adding a new key when full lets the oldest-added
 * entry go first. For caches whose keys come from outside (SQL text, tokens), so none can grow
 * without bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.capacity && !this.has(key)) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
