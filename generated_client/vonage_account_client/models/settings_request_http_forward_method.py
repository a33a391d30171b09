from typing import Literal

SettingsRequestHttpForwardMethod = Literal["GET_QUERY_PARAMS", "POST_JSON", "POST_QUERY_PARAMS"]

SETTINGS_REQUEST_HTTP_FORWARD_METHOD_VALUES: set[SettingsRequestHttpForwardMethod] = {
    "GET_QUERY_PARAMS",
    "POST_JSON",
    "POST_QUERY_PARAMS",
}


def check_settings_request_http_forward_method(value: str) -> SettingsRequestHttpForwardMethod:
    if value in SETTINGS_REQUEST_HTTP_FORWARD_METHOD_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SETTINGS_REQUEST_HTTP_FORWARD_METHOD_VALUES!r}")
