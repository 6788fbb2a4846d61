"""Building blocks every app installs against hostile callers (docs/security.md):
security headers, CORS by origin allow-list, strict JSON bodies, write rate limits."""
