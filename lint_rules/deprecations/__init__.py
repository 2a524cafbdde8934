"""Deprecations (SVC3xx): the dead ``retrying`` library, urllib3 1.x names, removed asyncio and stdlib APIs."""
