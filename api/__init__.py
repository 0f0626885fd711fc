"""The machine door: REST API v1 over the same services and selectors the pages call.

A room of its own on the top floor (beside `vaxrecon`'s URLs): no other room imports it. Shared
pieces (API keys, problem details, cursor pagination, throttling, idempotency, ETags) sit here
once; `views/` holds one module per resource, `serializers/` their input and output shapes.
"""
