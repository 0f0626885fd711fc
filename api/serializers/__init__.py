"""Input and output shapes of the API, one module per resource; a view names its own."""
