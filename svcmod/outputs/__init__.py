"""What users read: lint formats, migrate reports, baselines, merged shards."""
