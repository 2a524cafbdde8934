"""Everything that avoids a LibCST parse: import scan, prefilter, outline, excerpt, sketch."""
