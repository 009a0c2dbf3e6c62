"""Contains all the data models used in inputs/outputs"""

from .api_endpoint import ApiEndpoint
from .archive_model_response import ArchiveModelResponse
from .base_model_card import BaseModelCard
from .batch_error import BatchError
from .batch_job import BatchJob
from .batch_job_metadata_type_0 import BatchJobMetadataType0
from .batch_job_outputs_type_0_item import BatchJobOutputsType0Item
from .batch_job_status import BatchJobStatus
from .batch_line_error import BatchLineError
from .batch_line_response import BatchLineResponse
from .batch_line_response_body import BatchLineResponseBody
from .batch_request import BatchRequest
from .batch_request_body import BatchRequestBody
from .batch_result_line import BatchResultLine
from .classifier_fine_tuned_model import ClassifierFineTunedModel
from .classifier_target_result import ClassifierTargetResult
from .completion_fine_tuned_model import CompletionFineTunedModel
from .cortecs_embedding_request import CortecsEmbeddingRequest
from .cortecs_model import CortecsModel
from .cortecs_model_list import CortecsModelList
from .cortecs_model_provider import CortecsModelProvider
from .cortecs_pricing import CortecsPricing
from .create_batch_job_request import CreateBatchJobRequest
from .create_batch_job_request_metadata_type_0 import CreateBatchJobRequestMetadataType0
from .create_file_response import CreateFileResponse
from .delete_batch_job_response import DeleteBatchJobResponse
from .delete_file_response import DeleteFileResponse
from .delete_model_response import DeleteModelResponse
from .detail_error import DetailError
from .embedding_dtype import EmbeddingDtype
from .embedding_request import EmbeddingRequest
from .embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0
from .embedding_response import EmbeddingResponse
from .embedding_response_data import EmbeddingResponseData
from .encoding_format import EncodingFormat
from .error_response import ErrorResponse
from .file_purpose import FilePurpose
from .file_schema import FileSchema
from .file_visibility import FileVisibility
from .fine_tuned_model_capabilities import FineTunedModelCapabilities
from .ft_classifier_loss_function import FTClassifierLossFunction
from .ft_model_card import FTModelCard
from .get_file_response import GetFileResponse
from .get_signed_url_response import GetSignedUrlResponse
from .http_validation_error import HTTPValidationError
from .legacy_validation_error import LegacyValidationError
from .list_batch_jobs_metadata_type_0 import ListBatchJobsMetadataType0
from .list_batch_jobs_order_by import ListBatchJobsOrderBy
from .list_batch_jobs_response import ListBatchJobsResponse
from .list_files_response import ListFilesResponse
from .model_capabilities import ModelCapabilities
from .model_list import ModelList
from .preference import Preference
from .response_base import ResponseBase
from .sample_type import SampleType
from .serverless_embedding_request import ServerlessEmbeddingRequest
from .serverless_embedding_response import ServerlessEmbeddingResponse
from .source import Source
from .unarchive_model_response import UnarchiveModelResponse
from .update_model_request import UpdateModelRequest
from .upload_file_multi_part_body_params import UploadFileMultiPartBodyParams
from .usage_info import UsageInfo
from .validation_detail import ValidationDetail
from .validation_error import ValidationError
from .validation_error_context import ValidationErrorContext

__all__ = (
    "ApiEndpoint",
    "ArchiveModelResponse",
    "BaseModelCard",
    "BatchError",
    "BatchJob",
    "BatchJobMetadataType0",
    "BatchJobOutputsType0Item",
    "BatchJobStatus",
    "BatchLineError",
    "BatchLineResponse",
    "BatchLineResponseBody",
    "BatchRequest",
    "BatchRequestBody",
    "BatchResultLine",
    "ClassifierFineTunedModel",
    "ClassifierTargetResult",
    "CompletionFineTunedModel",
    "CortecsEmbeddingRequest",
    "CortecsModel",
    "CortecsModelList",
    "CortecsModelProvider",
    "CortecsPricing",
    "CreateBatchJobRequest",
    "CreateBatchJobRequestMetadataType0",
    "CreateFileResponse",
    "DeleteBatchJobResponse",
    "DeleteFileResponse",
    "DeleteModelResponse",
    "DetailError",
    "EmbeddingDtype",
    "EmbeddingRequest",
    "EmbeddingRequestMetadataType0",
    "EmbeddingResponse",
    "EmbeddingResponseData",
    "EncodingFormat",
    "ErrorResponse",
    "FilePurpose",
    "FileSchema",
    "FileVisibility",
    "FineTunedModelCapabilities",
    "FTClassifierLossFunction",
    "FTModelCard",
    "GetFileResponse",
    "GetSignedUrlResponse",
    "HTTPValidationError",
    "LegacyValidationError",
    "ListBatchJobsMetadataType0",
    "ListBatchJobsOrderBy",
    "ListBatchJobsResponse",
    "ListFilesResponse",
    "ModelCapabilities",
    "ModelList",
    "Preference",
    "ResponseBase",
    "SampleType",
    "ServerlessEmbeddingRequest",
    "ServerlessEmbeddingResponse",
    "Source",
    "UnarchiveModelResponse",
    "UpdateModelRequest",
    "UploadFileMultiPartBodyParams",
    "UsageInfo",
    "ValidationDetail",
    "ValidationError",
    "ValidationErrorContext",
)
