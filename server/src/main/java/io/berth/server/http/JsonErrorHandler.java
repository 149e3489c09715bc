package io.berth.server.http;

import java.nio.ByteBuffer;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors Jetty raises before a request reaches the API (malformed or ambiguous URIs, malformed requests, oversized
 * headers) get the spec's JSON error body too, never an HTML page or a stack trace. A refused URI is
 * {@code NAME_INVALID}, since the repository's name is the path; a request refused for anything else is
 * {@code UNSUPPORTED}. Jetty's reason (say "Ambiguous URI empty segment" or "Illegal character CNTL=0x1") is the
 * error's {@code detail} and is logged, with the request line as far as Jetty read it.
 */
public final class JsonErrorHandler extends ErrorHandler {
    private static final Logger LOG = LoggerFactory.getLogger(JsonErrorHandler.class);

    /** Every method gets the body, not only Jetty's default GET, POST and HEAD: clients push with PUT and PATCH. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String errorCode = switch (code) {
            case 400 -> message != null && message.contains("URI") ? "NAME_INVALID" : "UNSUPPORTED";
            case 401 -> "UNAUTHORIZED";
            case 403 -> "DENIED";
            case 404 -> "NAME_UNKNOWN";
            case 429 -> "TOOMANYREQUESTS";
            case 413 -> "SIZE_INVALID";
            default -> code >= 500 ? "UNKNOWN" : "UNSUPPORTED";
        };
        String reason = HttpStatus.getMessage(code);
        reason = reason == null ? "error" : reason.toLowerCase(Locale.ROOT);
        // A server error's message may come from an exception inside the server: it is for the log only.
        String detail = code < 500 && message != null && !message.equalsIgnoreCase(reason) ? message : null;
        if (code < 500) {
            HttpURI uri = request.getHttpURI();
            LOG.info("{} before the API, from {}: {} ({} {})", code, Request.getRemoteAddr(request), message,
                    request.getMethod(), uri == null ? null : uri.getPathQuery());
        }
        // Clients print the message, not the detail: a refusal's reason goes in both.
        byte[] body = ErrorBody.of(errorCode, detail == null ? reason : reason + ": " + detail, detail);
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
