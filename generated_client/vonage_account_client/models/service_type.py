from typing import Literal

ServiceType = Literal["sms", "sms-transit", "voice"]

SERVICE_TYPE_VALUES: set[ServiceType] = {
    "sms",
    "sms-transit",
    "voice",
}


def check_service_type(value: str) -> ServiceType:
    if value in SERVICE_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SERVICE_TYPE_VALUES!r}")
