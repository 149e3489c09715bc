package io.berth.server.http;

import io.berth.registry.ErrorCode;
import java.util.Map;

/** An answer decided by the HTTP layer itself (unsupported method, oversized body, bad range). */
class HttpError extends RuntimeException {
    private final int status;
    private final ErrorCode code;
    private final String message;
    private final Map<String, String> headers;

    HttpError(int status, ErrorCode code, String detail) {
        this(status, code, code.message(), detail, Map.of());
    }

    /**
     * With a message of its own instead of the code's usual one, for refusals whose reason the user must see: clients
     * print the code and the message of an error, not its detail.
     */
    HttpError(int status, ErrorCode code, String message, String detail) {
        this(status, code, message, detail, Map.of());
    }

    /** With response headers that belong to the error, such as an authentication challenge. */
    HttpError(int status, ErrorCode code, String detail, Map<String, String> headers) {
        this(status, code, code.message(), detail, headers);
    }

    /**
     * With its own message and response headers: a refused login says why in the message docker and containerd
     * print, and carries its challenge or {@code Retry-After}.
     */
    HttpError(int status, ErrorCode code, String message, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.message = message;
        this.headers = Map.copyOf(headers);
    }

    int status() {
        return status;
    }

    ErrorCode code() {
        return code;
    }

    /** The error body's {@code message}. */
    String message() {
        return message;
    }

    Map<String, String> headers() {
        return headers;
    }
}
