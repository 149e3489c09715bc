package io.berth.server.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The requests the conformance suite makes through its client library: a path template with {@code <name>}
 * filled in (the suite's namespace, or another one), query parameters encoded like Go's {@code url.Values},
 * HTTP/1.1, redirects not followed, and the two {@code Location} readings the suite relies on.
 *
 * <p>Where the suite sets a {@code Content-Length} header by hand, Go's HTTP client drops it and sends the real
 * length of the body (zero when there is none); {@link java.net.http.HttpClient} does the same on its own.
 */
final class ConformanceClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(TIMEOUT)
            .build();
    private final String root;
    final String namespace;

    ConformanceClient(String rootUrl, String namespace) {
        this.root = rootUrl.endsWith("/") ? rootUrl.substring(0, rootUrl.length() - 1) : rootUrl;
        this.namespace = namespace;
    }

    /** A request to {@code path} in the suite's namespace; {@code path} may already carry a query. */
    Call call(String method, String path) {
        return call(method, path, namespace);
    }

    Call call(String method, String path, String name) {
        return new Call(method, path.replace("<name>", name));
    }

    /** One request under construction, like the suite's {@code client.NewRequest(...)} chain. */
    final class Call {
        private final String method;
        private final String path;
        private final Map<String, String> query = new LinkedHashMap<>();
        private final List<String[]> headers = new ArrayList<>();
        private byte[] body;

        private Call(String method, String path) {
            this.method = method;
            this.path = path;
        }

        Call query(String name, String value) {
            query.put(name, value);
            return this;
        }

        Call header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        Call body(byte[] content) {
            this.body = content;
            return this;
        }

        Response send() {
            var target = new StringBuilder(root).append(path.startsWith("/") || path.isEmpty() ? "" : "/").append(path);
            var separator = path.contains("?") ? '&' : '?';
            for (var parameter : query.entrySet()) {
                target.append(separator).append(encode(parameter.getKey())).append('=').append(encode(parameter.getValue()));
                separator = '&';
            }
            var uri = URI.create(target.toString());
            var request = HttpRequest.newBuilder(uri)
                    .timeout(TIMEOUT)
                    .header("User-Agent", "berth-conformance-tests")
                    .method(method, body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (var header : headers) {
                request.header(header[0], header[1]);
            }
            try {
                var response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                return new Response(method, uri, response.statusCode(), response.headers(), response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + uri + " failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted: " + method + " " + uri, e);
            }
        }

        private static String encode(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8);
        }
    }

    /** A response and the request it answers, with the readings the suite makes of it. */
    record Response(String method, URI uri, int status, HttpHeaders headers, byte[] body) {

        /** The first value of a header, or {@code ""} when absent (Go's {@code Header.Get}). */
        String header(String name) {
            return headers.firstValue(name).orElse("");
        }

        /** The path (decoded) and raw query of {@code Location}, without scheme and host; {@code ""} if unusable. */
        String relativeLocation() {
            try {
                var location = URI.create(header("Location"));
                var path = location.getPath() == null ? "" : location.getPath();
                return location.getRawQuery() == null ? path : path + "?" + location.getRawQuery();
            } catch (IllegalArgumentException e) {
                return "";
            }
        }

        /** {@code Location} as sent, when it parses as a URI reference; {@code ""} otherwise. */
        String absoluteLocation() {
            try {
                URI.create(header("Location"));
                return header("Location");
            } catch (IllegalArgumentException e) {
                return "";
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The body as JSON; fails the test, with the exchange described, when it is not JSON. */
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JacksonException e) {
                throw new AssertionError("response body is not JSON: " + this, e);
            }
        }

        /**
         * The {@code code} of each entry of an OCI error body ({@code {"errors":[{"code":...}]}}); fails when the
         * body is not such a document or lists no error, as the suite's {@code resp.Errors()}.
         */
        List<String> errorCodes() {
            var errors = json().path("errors");
            if (!errors.isArray() || errors.isEmpty()) {
                throw new AssertionError("body was valid JSON but could not be parsed as OCI errors: " + this);
            }
            var codes = new ArrayList<String>();
            for (var error : errors) {
                codes.add(error.path("code").asString(""));
            }
            return codes;
        }

        @Override
        public String toString() {
            var text = text();
            if (text.length() > 600) {
                text = text.substring(0, 600) + "...";
            }
            return method + " " + uri + " -> " + status + " " + headers.map() + (text.isEmpty() ? "" : " " + text);
        }
    }
}
