"""Vaccination certificates in the EU DCC (HCERT) format, issued centrally after signing.

A room of its own, above ``signing`` (decision 5772/QĐ-BYT: the step after the sites sign):
it reads signed record versions, signs certificates with a document-signing certificate (DSC)
under the country signing CA (CSCA), publishes the trust list and revocations, and verifies.
docs/ARCHITECTURE.md says why it is not a module of ``signing``.
"""
