"""A client library for accessing Embeddings API (Mistral AI and cortecs.ai)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
