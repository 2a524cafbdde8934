"""Running many files: the engine, its process pool, the cache, reading and writing, shards."""
