from typing import Literal

RegisterSenderRequestProvider = Literal["email"]

REGISTER_SENDER_REQUEST_PROVIDER_VALUES: set[RegisterSenderRequestProvider] = {
    "email",
}


def check_register_sender_request_provider(value: str) -> RegisterSenderRequestProvider:
    if value in REGISTER_SENDER_REQUEST_PROVIDER_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {REGISTER_SENDER_REQUEST_PROVIDER_VALUES!r}")
