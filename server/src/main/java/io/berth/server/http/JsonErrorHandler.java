package io.berth.server.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty raises before a request reaches the API (malformed or ambiguous URIs, oversized headers) get the
 * spec's JSON error body too, never an HTML page or a stack trace.
 */
public final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String errorCode = switch (code) {
            case 400 -> "NAME_INVALID";
            case 401 -> "UNAUTHORIZED";
            case 403 -> "DENIED";
            case 404 -> "NAME_UNKNOWN";
            case 429 -> "TOOMANYREQUESTS";
            case 413 -> "SIZE_INVALID";
            default -> code >= 500 ? "UNKNOWN" : "UNSUPPORTED";
        };
        String reason = HttpStatus.getMessage(code);
        byte[] body = ErrorBody.of(errorCode, reason == null ? "error" : reason.toLowerCase(), null);
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
