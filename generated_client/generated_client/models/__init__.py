"""Contains all the data models used in inputs/outputs"""

from .batch_endpoint import BatchEndpoint
from .batch_error import BatchError
from .batch_job import BatchJob
from .batch_job_list import BatchJobList
from .batch_job_metadata_type_0 import BatchJobMetadataType0
from .batch_job_request import BatchJobRequest
from .batch_job_request_metadata_type_0 import BatchJobRequestMetadataType0
from .batch_job_status import BatchJobStatus
from .batch_line_error import BatchLineError
from .batch_line_response import BatchLineResponse
from .batch_line_response_body import BatchLineResponseBody
from .batch_request_line import BatchRequestLine
from .batch_request_line_body import BatchRequestLineBody
from .batch_result_line import BatchResultLine
from .cortecs_embedding_request import CortecsEmbeddingRequest
from .cortecs_model import CortecsModel
from .cortecs_model_list import CortecsModelList
from .cortecs_model_provider import CortecsModelProvider
from .cortecs_pricing import CortecsPricing
from .deleted_file import DeletedFile
from .detail_error import DetailError
from .embedding_data import EmbeddingData
from .embedding_request import EmbeddingRequest
from .embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0
from .embedding_response import EmbeddingResponse
from .encoding_format import EncodingFormat
from .error_response import ErrorResponse
from .file_list import FileList
from .file_object import FileObject
from .file_purpose import FilePurpose
from .file_source import FileSource
from .file_upload import FileUpload
from .http_validation_error import HTTPValidationError
from .legacy_validation_error import LegacyValidationError
from .list_batch_jobs_order_by import ListBatchJobsOrderBy
from .model_capabilities import ModelCapabilities
from .model_card import ModelCard
from .model_list import ModelList
from .output_dtype import OutputDtype
from .preference import Preference
from .retrieved_file import RetrievedFile
from .sample_type import SampleType
from .serverless_embedding_request import ServerlessEmbeddingRequest
from .serverless_embedding_response import ServerlessEmbeddingResponse
from .usage_info import UsageInfo
from .validation_detail import ValidationDetail
from .validation_error import ValidationError
from .validation_error_ctx import ValidationErrorCtx

__all__ = (
    "BatchEndpoint",
    "BatchError",
    "BatchJob",
    "BatchJobList",
    "BatchJobMetadataType0",
    "BatchJobRequest",
    "BatchJobRequestMetadataType0",
    "BatchJobStatus",
    "BatchLineError",
    "BatchLineResponse",
    "BatchLineResponseBody",
    "BatchRequestLine",
    "BatchRequestLineBody",
    "BatchResultLine",
    "CortecsEmbeddingRequest",
    "CortecsModel",
    "CortecsModelList",
    "CortecsModelProvider",
    "CortecsPricing",
    "DeletedFile",
    "DetailError",
    "EmbeddingData",
    "EmbeddingRequest",
    "EmbeddingRequestMetadataType0",
    "EmbeddingResponse",
    "EncodingFormat",
    "ErrorResponse",
    "FileList",
    "FileObject",
    "FilePurpose",
    "FileSource",
    "FileUpload",
    "HTTPValidationError",
    "LegacyValidationError",
    "ListBatchJobsOrderBy",
    "ModelCapabilities",
    "ModelCard",
    "ModelList",
    "OutputDtype",
    "Preference",
    "RetrievedFile",
    "SampleType",
    "ServerlessEmbeddingRequest",
    "ServerlessEmbeddingResponse",
    "UsageInfo",
    "ValidationDetail",
    "ValidationError",
    "ValidationErrorCtx",
)
