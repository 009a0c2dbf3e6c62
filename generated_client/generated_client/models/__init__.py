"""Contains all the data models used in inputs/outputs"""

from .detail_error import DetailError
from .embedding_data import EmbeddingData
from .embedding_request import EmbeddingRequest
from .embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0
from .embedding_response import EmbeddingResponse
from .encoding_format import EncodingFormat
from .error_response import ErrorResponse
from .http_validation_error import HTTPValidationError
from .legacy_validation_error import LegacyValidationError
from .model_capabilities import ModelCapabilities
from .model_card import ModelCard
from .model_list import ModelList
from .output_dtype import OutputDtype
from .preference import Preference
from .serverless_embedding_request import ServerlessEmbeddingRequest
from .serverless_embedding_response import ServerlessEmbeddingResponse
from .usage_info import UsageInfo
from .validation_detail import ValidationDetail
from .validation_error import ValidationError
from .validation_error_ctx import ValidationErrorCtx

__all__ = (
    "DetailError",
    "EmbeddingData",
    "EmbeddingRequest",
    "EmbeddingRequestMetadataType0",
    "EmbeddingResponse",
    "EncodingFormat",
    "ErrorResponse",
    "HTTPValidationError",
    "LegacyValidationError",
    "ModelCapabilities",
    "ModelCard",
    "ModelList",
    "OutputDtype",
    "Preference",
    "ServerlessEmbeddingRequest",
    "ServerlessEmbeddingResponse",
    "UsageInfo",
    "ValidationDetail",
    "ValidationError",
    "ValidationErrorCtx",
)
