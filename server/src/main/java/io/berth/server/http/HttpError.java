package io.berth.server.http;

import io.berth.registry.ErrorCode;

/** An answer decided by the HTTP layer itself (unsupported method, oversized body, bad range). */
class HttpError extends RuntimeException {
    private final int status;
    private final ErrorCode code;

    HttpError(int status, ErrorCode code, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    ErrorCode code() {
        return code;
    }
}
