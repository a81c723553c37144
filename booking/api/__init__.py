"""The season's public read-only API, /api/v1/ (docs/api-contract.md, ADR 0018).

What any site may read of the season: shows, their performances and how booking stands, as the
show page shows it. Django REST framework's generic views, JSON only, no authentication, no
personal data; the only URLs with CORS headers (django-cors-headers, CORS_URLS_REGEX).
"""
