from typing import Literal

RegisterSenderResponseProvider = Literal["email"]

REGISTER_SENDER_RESPONSE_PROVIDER_VALUES: set[RegisterSenderResponseProvider] = {
    "email",
}


def check_register_sender_response_provider(value: str) -> RegisterSenderResponseProvider:
    if value in REGISTER_SENDER_RESPONSE_PROVIDER_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {REGISTER_SENDER_RESPONSE_PROVIDER_VALUES!r}")
