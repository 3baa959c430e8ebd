"""Contract suite for the Vertex AI TuningJobs REST API, runnable against any ``--base-url``.

Everything it checks is derived from the generated OpenAPI document and the IR (the
documents' fields, enum values, unions and constraints); see ``python -m contract_tests.coverage``.
"""
