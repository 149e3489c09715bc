package io.berth.server.http;

import io.berth.registry.ErrorCode;
import java.util.Map;

/** An answer decided by the HTTP layer itself (unsupported method, oversized body, bad range). */
class HttpError extends RuntimeException {
    private final int status;
    private final ErrorCode code;
    private final Map<String, String> headers;

    HttpError(int status, ErrorCode code, String detail) {
        this(status, code, detail, Map.of());
    }

    /** With response headers that belong to the error, such as an authentication challenge. */
    HttpError(int status, ErrorCode code, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    Map<String, String> headers() {
        return headers;
    }

    int status() {
        return status;
    }

    ErrorCode code() {
        return code;
    }
}
