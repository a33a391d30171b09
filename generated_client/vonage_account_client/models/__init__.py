"""Contains all the data models used in inputs/outputs"""

from .balance import Balance
from .country_pricing import CountryPricing
from .create_secret_request import CreateSecretRequest
from .error_code_response import ErrorCodeResponse
from .hal_link import HalLink
from .invalid_parameter import InvalidParameter
from .network import Network
from .pricing_error_response import PricingErrorResponse
from .pricing_list import PricingList
from .problem import Problem
from .register_sender_request import RegisterSenderRequest
from .register_sender_request_provider import RegisterSenderRequestProvider
from .register_sender_response import RegisterSenderResponse
from .register_sender_response_provider import RegisterSenderResponseProvider
from .rest_bad_request import RestBadRequest
from .rest_bad_request_invalid_parameters import RestBadRequestInvalidParameters
from .secret import Secret
from .secret_list import SecretList
from .secret_list_embedded import SecretListEmbedded
from .self_links import SelfLinks
from .service_type import ServiceType
from .settings import Settings
from .settings_request import SettingsRequest
from .settings_request_http_forward_method import SettingsRequestHttpForwardMethod
from .top_up_request import TopUpRequest
from .validation_problem import ValidationProblem

__all__ = (
    "Balance",
    "CountryPricing",
    "CreateSecretRequest",
    "ErrorCodeResponse",
    "HalLink",
    "InvalidParameter",
    "Network",
    "PricingErrorResponse",
    "PricingList",
    "Problem",
    "RegisterSenderRequest",
    "RegisterSenderRequestProvider",
    "RegisterSenderResponse",
    "RegisterSenderResponseProvider",
    "RestBadRequest",
    "RestBadRequestInvalidParameters",
    "Secret",
    "SecretList",
    "SecretListEmbedded",
    "SelfLinks",
    "ServiceType",
    "Settings",
    "SettingsRequest",
    "SettingsRequestHttpForwardMethod",
    "TopUpRequest",
    "ValidationProblem",
)
