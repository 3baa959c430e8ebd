"""The API's message and enum classes (betterproto2 dataclasses generated from the documents)."""

from vertex_tuning_protos.google.cloud.aiplatform.v1 import (
    AdapterSize,
    Blob,
    CancelTuningJobRequest,
    Content,
    CreateTuningJobRequest,
    DatasetBucket,
    EncryptionSpec,
    FileData,
    FunctionCall,
    FunctionResponse,
    GcsDestination,
    GetTuningJobRequest,
    JobState,
    ListTuningJobsRequest,
    ListTuningJobsResponse,
    Part,
    RebaseTunedModelRequest,
    SupervisedHyperParameters,
    SupervisedTuningDatasetDistribution,
    SupervisedTuningDataStats,
    SupervisedTuningSpec,
    TunedModel,
    TunedModelRef,
    TuningDataStats,
    TuningJob,
    VideoMetadata,
)
from vertex_tuning_protos.google.longrunning import Operation as OperationProto
from vertex_tuning_protos.google.protobuf import Any, Empty, Struct, Value
from vertex_tuning_protos.google.rpc import Status
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning._message_methods import install

# The classes' own to_dict/from_dict/to_json/from_json go through the lossless codec (every class
# the generated package has registered by now: the API's, longrunning, rpc and well-known types).
install(default_message_pool.url_to_type.values())

__all__ = [
    "AdapterSize",
    "Any",
    "Blob",
    "CancelTuningJobRequest",
    "Content",
    "CreateTuningJobRequest",
    "DatasetBucket",
    "Empty",
    "EncryptionSpec",
    "FileData",
    "FunctionCall",
    "FunctionResponse",
    "GcsDestination",
    "GetTuningJobRequest",
    "JobState",
    "ListTuningJobsRequest",
    "ListTuningJobsResponse",
    "OperationProto",
    "Part",
    "RebaseTunedModelRequest",
    "Status",
    "Struct",
    "SupervisedHyperParameters",
    "SupervisedTuningDataStats",
    "SupervisedTuningDatasetDistribution",
    "SupervisedTuningSpec",
    "TunedModel",
    "TunedModelRef",
    "TuningDataStats",
    "TuningJob",
    "Value",
    "VideoMetadata",
]
