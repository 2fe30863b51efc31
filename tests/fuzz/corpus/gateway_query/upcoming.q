from=2026-01-01&to=2026-12-31&limit=5
Bearer abc.def