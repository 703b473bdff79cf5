"""End-to-end jobs that chain the stages: the demo (ingest -> knowledge -> train -> generate -> evaluate)."""
