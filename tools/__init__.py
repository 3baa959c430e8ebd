"""Build-time tools: the schema pipeline from the API documents to generated/."""
