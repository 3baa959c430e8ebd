"""Shared benchmark inputs: a fully populated TuningJob, and protobuf's own classes for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def full_tuning_job(examples: int = 50) -> dict[str, Any]:
    """Proto3 JSON of a TuningJob with every documented field set and ``examples`` example Contents."""
    dist = {
        "sum": "123456789012", "billableSum": "98765432109", "min": 1.0, "max": 4096.0, "mean": 512.25,
        "median": 480.0, "p5": 12.0, "p95": 2048.5,
        "buckets": [{"count": float(i), "left": i * 10.0, "right": i * 10.0 + 10} for i in range(10)],
    }
    parts = [
        {"text": "Summarise the following article in three sentences."},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"}},
        {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/docs/a.pdf"},
         "videoMetadata": {"startOffset": "1.5s", "endOffset": "10.000000001s"}},
        {"functionCall": {"name": "lookup", "args": {"q": "tuning", "n": 3, "nested": {"ok": True, "xs": [1, 2]}}}},
        {"functionResponse": {"name": "lookup", "response": {"output": ["a", "b"], "score": 0.5}}},
    ]
    return {
        "name": "projects/my-proj/locations/us-central1/tuningJobs/1234567890123456789",
        "tunedModelDisplayName": "my tuned model",
        "description": "A job with every documented field set.",
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2026-11-25T10:00:00.123456789Z",
        "startTime": "2026-11-25T10:01:00.000000001Z",
        "endTime": "2026-11-25T11:00:00.5Z",
        "updateTime": "2026-11-25T11:00:00.500000100Z",
        "error": {"code": 1, "message": "cancelled",
                  "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CANCELLED",
                               "domain": "aiplatform.googleapis.com", "metadata": {"k": "v"}}]},
        "labels": {"team": "nlp", "env": "prod", "owner": "ml-platform"},
        "experiment": "projects/my-proj/locations/us-central1/metadataStores/default/contexts/exp-1",
        "tunedModel": {"model": "projects/my-proj/locations/us-central1/models/987",
                       "endpoint": "projects/my-proj/locations/us-central1/endpoints/654"},
        "tuningDataStats": {"supervisedTuningDataStats": {
            "tuningDatasetExampleCount": "5000", "totalTuningCharacterCount": "9007199254740993",
            "totalBillableCharacterCount": "1000000", "totalBillableTokenCount": "250000",
            "tuningStepCount": "300", "userInputTokenDistribution": dist, "userOutputTokenDistribution": dist,
            "userMessagePerExampleDistribution": dist,
            "userDatasetExamples": [{"role": "user" if i % 2 else "model", "parts": parts} for i in range(examples)],
            "totalTruncatedExampleCount": "7", "truncatedExampleIndices": ["1", "17", "9223372036854775807"],
        }},
        "encryptionSpec": {"kmsKeyName": "projects/my-proj/locations/us-central1/keyRings/kr/cryptoKeys/k"},
        "baseModel": "gemini-1.0-pro-002",
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://bucket/train.jsonl",
                                 "validationDatasetUri": "gs://bucket/validation.jsonl",
                                 "hyperParameters": {"epochCount": "4", "learningRateMultiplier": 1.5,
                                                     "adapterSize": "ADAPTER_SIZE_FOUR"}},
        "serviceAccount": "tuner@my-proj.iam.gserviceaccount.com",
    }


def protobuf_classes() -> dict[str, Any]:
    """protobuf's own message classes for every type in generated/descriptor_set.binpb (a private pool)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fds = descriptor_pb2.FileDescriptorSet.FromString((ROOT / "generated" / "descriptor_set.binpb").read_bytes())
    pool = descriptor_pool.DescriptorPool()
    return message_factory.GetMessages(list(fds.file), pool=pool)
