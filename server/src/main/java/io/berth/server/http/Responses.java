package io.berth.server.http;

import io.berth.registry.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/** How the routes write their answers, read the parameters they share and leave a refused request's body. */
final class Responses {
    /** Bodies of refused requests are read up to this size before the error. */
    static final long REFUSED_BODY_DRAINED = 1024 * 1024;

    private Responses() {
    }

    /** A whole body of {@code contentType}, with its length. */
    static void send(Response response, Callback callback, int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    static void sendEmpty(Response response, Callback callback, int status) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        endWithoutBody(response, callback);
    }

    /**
     * Ends a response without a body (or a HEAD's) with an empty last write that completes {@code callback}, never by
     * completing the callback with nothing written. A callback completed bare makes Jetty (12.1) send the response
     * itself; when that send finishes while {@code handle} is still returning on Jetty's thread, both threads complete
     * the exchange, and the connection's next request goes unanswered. After a last write of the handler's own,
     * completing the callback is safe from any thread. Every response of the routes ends with such a write.
     */
    static void endWithoutBody(Response response, Callback callback) {
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    /** The page size in {@code n}: {@code absent} without one, at most {@code max}; 400 for one that is no size. */
    static int pageSize(Fields query, int absent, int max) {
        String n = query.getValue("n");
        if (n == null) {
            return absent;
        }
        try {
            int value = Integer.parseInt(n);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return Math.min(value, max);
        } catch (NumberFormatException e) {
            // Distribution answers PAGINATION_NUMBER_INVALID, which the spec does not list: UNSUPPORTED is its code for
            // "an invalid set of parameters".
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "invalid page size: the query parameter 'n' must be a "
                    + "non-negative integer", "n=" + n);
        }
    }

    /** The {@code Link} header to the next page of a listing, as the spec writes it. */
    static void link(Response response, String path, int n, String last, String artifactType) {
        StringBuilder url = new StringBuilder(path).append("?n=").append(n).append("&last=").append(encode(last));
        if (artifactType != null) {
            url.append("&artifactType=").append(encode(artifactType));
        }
        response.getHeaders().put(HttpHeader.LINK, "<" + url + ">; rel=\"next\"");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Reads what is left of a refused request's body, up to {@code limit} bytes, so a client still sending it reads
     * the error rather than a reset connection (Go's HTTP server does the same with 256 KiB); past the limit Jetty
     * closes the connection. Failures here change nothing about the answer.
     */
    static void drain(Request request, long limit) {
        if (!hasBody(request)) {
            return;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            int n;
            while (read < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - read))) > 0) {
                read += n;
            }
        } catch (IOException | RuntimeException e) {
            // the body was consumed already, or the client went away
        }
    }

    /**
     * Whether the request may carry a body: a positive length, one sent in chunks, or, over HTTP/2, any request that
     * declares no length (its body comes in DATA frames, with no header to announce it).
     */
    static boolean hasBody(Request request) {
        long length = request.getLength();
        return length > 0 || (length < 0 && (request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)
                || request.getConnectionMetaData().getHttpVersion().getVersion() >= HttpVersion.HTTP_2.getVersion()));
    }
}
