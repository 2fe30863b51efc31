kpi=co2&from_year=2024&to_year=2026&access_token=x%20y
bearer  t0k3n