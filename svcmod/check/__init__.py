"""Checking one file: the checker, the batched walk, the name resolver, fixing and verification."""
