package io.berth.server.http;

import io.berth.oci.Digest;
import io.berth.registry.BlobUpload;
import io.berth.registry.ErrorCode;
import io.berth.registry.MountResult;
import io.berth.registry.Registry;
import io.berth.registry.RegistryException;
import io.berth.registry.Uploads;
import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * {@code /v2/<name>/blobs/uploads/[<id>]}: blob uploads, monolithic, chunked and resumable, and cross-repository
 * mounts.
 */
final class UploadRoutes {
    private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes )?(\\d+)-(\\d+)(?:/(?:\\d+|\\*))?");

    private final Uploads uploads;
    private final Gate gate;

    UploadRoutes(Uploads uploads, Gate gate) {
        this.uploads = uploads;
        this.gate = gate;
    }

    /**
     * Starts an upload, or mounts a blob from another repository. With authentication on, a mount needs pull
     * access to the named source; without a source, or without that access, a regular session starts, as the
     * spec lets a registry do when it cannot mount.
     */
    void start(Exchange exchange) throws IOException {
        String name = exchange.name();
        Fields query = exchange.query();
        String mount = query.getValue("mount");
        String digest = query.getValue("digest");
        String from = query.getValue("from");
        boolean mayMount = !gate.enabled() || (from != null && gate.pullable(exchange.caller()).test(from));
        if (mount != null && mayMount) {
            MountResult result = uploads.mount(name, Registry.parseDigest(mount), from);
            switch (result) {
                case MountResult.Mounted mounted -> {
                    created(name, mounted.digest(), exchange.response(), exchange.callback());
                    return;
                }
                case MountResult.Started started -> {
                    accepted(started.upload(), 202, exchange.response(), exchange.callback());
                    return;
                }
            }
        }
        if (digest != null) {
            Digest stored;
            try (InputStream body = RequestBody.of(exchange.request())) {
                stored = uploads.putMonolithic(name, digest, body);
            }
            created(name, stored, exchange.response(), exchange.callback()); // the body is done with before the answer
            return;
        }
        accepted(uploads.start(name), 202, exchange.response(), exchange.callback());
    }

    void status(Exchange exchange) {
        accepted(uploads.status(exchange.name(), exchange.parameter("id")), 204, exchange.response(),
                exchange.callback());
    }

    void append(Exchange exchange) throws IOException {
        ByteRange range = contentRange(exchange.request());
        BlobUpload upload;
        try (InputStream body = RequestBody.of(exchange.request())) {
            upload = uploads.append(exchange.name(), exchange.parameter("id"), range == null ? null : range.first(),
                    range == null ? null : range.last(), body);
        }
        accepted(upload, 202, exchange.response(), exchange.callback());
    }

    void finish(Exchange exchange) throws IOException {
        String name = exchange.name();
        String id = exchange.parameter("id");
        String digest = exchange.query().getValue("digest");
        if (digest == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the digest query parameter is required");
        }
        Request request = exchange.request();
        ByteRange range = contentRange(request);
        boolean hasBody = Responses.hasBody(request);
        Digest stored;
        if (hasBody && range != null) {
            try (InputStream body = RequestBody.of(request)) {
                uploads.append(name, id, range.first(), range.last(), body);
            }
            stored = uploads.finish(name, id, digest, null);
        } else if (hasBody) {
            try (InputStream body = RequestBody.of(request)) {
                stored = uploads.finish(name, id, digest, body);
            }
        } else {
            stored = uploads.finish(name, id, digest, null);
        }
        created(name, stored, exchange.response(), exchange.callback());
    }

    void cancel(Exchange exchange) {
        uploads.cancel(exchange.name(), exchange.parameter("id"));
        Responses.sendEmpty(exchange.response(), exchange.callback(), 204);
    }

    /** {@code Content-Range: <start>-<end>} of a chunk, or null when the request has none. */
    private static ByteRange contentRange(Request request) {
        String header = request.getHeaders().get(HttpHeader.CONTENT_RANGE);
        if (header == null) {
            return null;
        }
        Matcher m = CONTENT_RANGE.matcher(header.strip());
        if (!m.matches()) {
            throw new HttpError(400, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range must be <start>-<end>");
        }
        long start;
        long end;
        try {
            start = Long.parseLong(m.group(1));
            end = Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            throw new HttpError(400, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range out of bounds");
        }
        if (end < start) {
            throw new HttpError(416, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range ends before it starts");
        }
        long length = request.getLength();
        if (length >= 0 && length != end - start + 1) {
            throw new HttpError(400, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range does not match Content-Length");
        }
        return new ByteRange(start, end);
    }

    private static void accepted(BlobUpload upload, int status, Response response, Callback callback) {
        var headers = response.getHeaders();
        headers.put(HttpHeader.LOCATION, "/v2/" + upload.repository() + "/blobs/uploads/" + upload.id());
        headers.put("Docker-Upload-UUID", upload.id());
        headers.put(HttpHeader.RANGE, "0-" + Math.max(0, upload.size() - 1));
        Responses.sendEmpty(response, callback, status);
    }

    private static void created(String name, Digest digest, Response response, Callback callback) {
        var headers = response.getHeaders();
        headers.put(HttpHeader.LOCATION, "/v2/" + name + "/blobs/" + digest);
        headers.put("Docker-Content-Digest", digest.toString());
        Responses.sendEmpty(response, callback, 201);
    }
}
