"""Contains all the data models used in inputs/outputs"""

from .embedding_data import EmbeddingData
from .embedding_request import EmbeddingRequest
from .embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0
from .embedding_response import EmbeddingResponse
from .encoding_format import EncodingFormat
from .error_response import ErrorResponse
from .http_validation_error import HTTPValidationError
from .model_capabilities import ModelCapabilities
from .model_card import ModelCard
from .model_card_type import ModelCardType
from .model_list import ModelList
from .output_dtype import OutputDtype
from .preference import Preference
from .serverless_embedding_request import ServerlessEmbeddingRequest
from .serverless_embedding_response import ServerlessEmbeddingResponse
from .usage_info import UsageInfo
from .validation_error import ValidationError
from .validation_error_ctx import ValidationErrorCtx

__all__ = (
    "EmbeddingData",
    "EmbeddingRequest",
    "EmbeddingRequestMetadataType0",
    "EmbeddingResponse",
    "EncodingFormat",
    "ErrorResponse",
    "HTTPValidationError",
    "ModelCapabilities",
    "ModelCard",
    "ModelCardType",
    "ModelList",
    "OutputDtype",
    "Preference",
    "ServerlessEmbeddingRequest",
    "ServerlessEmbeddingResponse",
    "UsageInfo",
    "ValidationError",
    "ValidationErrorCtx",
)
