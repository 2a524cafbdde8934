"""Deadlines (SVC1xx): network and blocking calls that can wait forever."""
