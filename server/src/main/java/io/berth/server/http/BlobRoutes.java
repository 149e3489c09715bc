package io.berth.server.http;

import io.berth.oci.Digest;
import io.berth.registry.ErrorCode;
import io.berth.registry.Registry;
import io.berth.registry.blob.BlobContent;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;

/** {@code /v2/<name>/blobs/<digest>}: download blobs, whole or a range, and unlink them from a repository. */
final class BlobRoutes {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    /** Smaller blob bytes go from the file to the socket through pooled direct buffers, never the heap. */
    private static final int BLOB_BUFFER_SIZE = 128 * 1024;
    /** Blobs this large are sent from memory-mapped windows of their file; smaller ones are cheaper to read. */
    private static final long MAPPED_MINIMUM = 1024 * 1024;

    private final Registry registry;

    BlobRoutes(Registry registry) {
        this.registry = registry;
    }

    void get(Exchange exchange) throws IOException {
        var request = exchange.request();
        var response = exchange.response();
        Digest digest = Registry.parseDigest(exchange.parameter("digest"));
        BlobContent blob = registry.openBlob(exchange.name(), digest);
        long size = blob.size();
        var headers = response.getHeaders();
        headers.put("Docker-Content-Digest", digest.toString());
        Optional<URI> direct = HttpMethod.HEAD.is(request.getMethod()) ? Optional.empty() : blob.directUrl();
        if (direct.isPresent()) {
            // The bytes come from the object store, not through this server; the client sends its Range there.
            headers.put(HttpHeader.LOCATION, direct.get().toString());
            headers.put(HttpHeader.CONTENT_LENGTH, 0);
            response.setStatus(307);
            Responses.endWithoutBody(response, exchange.callback());
            return;
        }
        headers.put(HttpHeader.ETAG, "\"" + digest + "\"");
        headers.put(HttpHeader.ACCEPT_RANGES, "bytes");
        headers.put(HttpHeader.CACHE_CONTROL, "max-age=31536000");
        headers.put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        long offset = 0;
        long length = size;
        String range = request.getHeaders().get(HttpHeader.RANGE);
        boolean partial = false;
        if (range != null && !HttpMethod.HEAD.is(request.getMethod())) {
            ByteRange span = parseRange(range, size);
            if (span != null) {
                offset = span.first();
                length = span.length();
                partial = true;
                headers.put(HttpHeader.CONTENT_RANGE, "bytes " + span.first() + "-" + span.last() + "/" + size);
            }
        }
        headers.put(HttpHeader.CONTENT_LENGTH, length);
        response.setStatus(partial ? 206 : 200);
        if (HttpMethod.HEAD.is(request.getMethod()) || length == 0) {
            Responses.endWithoutBody(response, exchange.callback());
            return;
        }
        Optional<Path> file = blob.localFile();
        if (file.isPresent() && length >= MAPPED_MINIMUM) {
            MappedFileWriter.send(file.get(), offset, length, response, exchange.callback());
            return;
        }
        ByteBufferPool.Sized buffers = new ByteBufferPool.Sized(request.getComponents().getByteBufferPool(), true,
                BLOB_BUFFER_SIZE);
        Content.Source source = file.isPresent()
                ? Content.Source.from(buffers, file.get(), offset, length)
                : Content.Source.from(buffers, blob.open(offset, length));
        Content.copy(source, response, exchange.callback());
    }

    void delete(Exchange exchange) {
        registry.deleteBlob(exchange.name(), Registry.parseDigest(exchange.parameter("digest")));
        Responses.sendEmpty(exchange.response(), exchange.callback(), 202);
    }

    /** A single {@code bytes=} range, null for the whole blob; 416 when invalid or unsatisfiable. */
    static ByteRange parseRange(String header, long size) {
        Matcher m = RANGE.matcher(header.strip());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return null; // several ranges or another unit: answer with the whole blob, as RFC 9110 allows
        }
        long first;
        long last;
        try {
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0) {
                    throw unsatisfiable(size);
                }
                first = Math.max(0, size - suffix);
                last = size - 1;
            } else {
                first = Long.parseLong(m.group(1));
                last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
                if (m.group(2).length() > 0 && Long.parseLong(m.group(2)) < first) {
                    // RFC 9110 14.1.1 calls a range ending before it starts invalid, and 14.2 lets a server reject an
                    // invalid range rather than ignore it. Rejected: a client resuming a download with it would take
                    // the whole blob for the part it asked for.
                    throw unsatisfiable(size);
                }
            }
        } catch (NumberFormatException e) {
            throw unsatisfiable(size);
        }
        if (first >= size || size == 0) {
            throw unsatisfiable(size);
        }
        return new ByteRange(first, last);
    }

    /** 416 with the blob's size in {@code Content-Range}. */
    private static HttpError unsatisfiable(long size) {
        return new HttpError(416, ErrorCode.SIZE_INVALID, "requested range not satisfiable",
                Map.of(HttpHeader.CONTENT_RANGE.asString(), "bytes */" + size));
    }
}
