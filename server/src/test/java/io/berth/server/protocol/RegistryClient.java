package io.berth.server.protocol;

import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A small OCI distribution client over {@link HttpClient} for protocol tests: raw requests that return whatever the
 * registry answered, plus push helpers that assert the happy path. Targets are paths ({@code /v2/...}), kept exactly
 * as written (no normalisation or re-encoding), or absolute URLs such as a {@code Location} header.
 */
public final class RegistryClient {
    private static final HttpClient HTTP = newHttpClient();

    private final String baseUrl;
    private final HttpClient http;
    private final String authorization;

    public RegistryClient(String baseUrl) {
        this(baseUrl, HTTP);
    }

    /** A client on its own {@link HttpClient}, so that no pooled connection outlives a server it talked to. */
    public RegistryClient(String baseUrl, HttpClient http) {
        this(baseUrl, http, null);
    }

    private RegistryClient(String baseUrl, HttpClient http, String authorization) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = http;
        this.authorization = authorization;
    }

    /** The same client sending this {@code Authorization} header with every request. */
    public RegistryClient authorized(String authorization) {
        return new RegistryClient(baseUrl, http, authorization);
    }

    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Resolves a path or a (possibly relative) {@code Location} header value to an absolute URI. */
    public URI uri(String target) {
        if (target.startsWith("http://") || target.startsWith("https://")) {
            return URI.create(target);
        }
        if (target.startsWith("/")) {
            return URI.create(baseUrl + target);
        }
        return URI.create(baseUrl + "/").resolve(target);
    }

    public HttpResponse<byte[]> send(String method, String target, BodyPublisher body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(target))
                .timeout(Duration.ofSeconds(60))
                .method(method, body);
        if (headers.length > 0) {
            request.headers(headers);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            return http.send(request.build(), BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + target, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<byte[]> get(String target, String... headers) {
        return send("GET", target, BodyPublishers.noBody(), headers);
    }

    public HttpResponse<byte[]> head(String target, String... headers) {
        return send("HEAD", target, BodyPublishers.noBody(), headers);
    }

    public HttpResponse<byte[]> delete(String target, String... headers) {
        return send("DELETE", target, BodyPublishers.noBody(), headers);
    }

    public HttpResponse<byte[]> post(String target, byte[] body, String... headers) {
        return send("POST", target, BodyPublishers.ofByteArray(body), headers);
    }

    public HttpResponse<byte[]> put(String target, byte[] body, String... headers) {
        return send("PUT", target, BodyPublishers.ofByteArray(body), headers);
    }

    public HttpResponse<byte[]> patch(String target, byte[] body, String... headers) {
        return send("PATCH", target, BodyPublishers.ofByteArray(body), headers);
    }

    // ---- push helpers -------------------------------------------------------------------------------------------

    /** Starts an upload session ({@code POST /v2/<name>/blobs/uploads/}), asserting 202, and returns its Location. */
    public String startUpload(String repository) {
        HttpResponse<byte[]> response = post("/v2/" + repository + "/blobs/uploads/", new byte[0]);
        assertThat(response.statusCode()).as("POST upload session: %s", body(response)).isEqualTo(202);
        return location(response);
    }

    /** Pushes a blob as POST then PUT with the whole body, asserting 201; returns its sha256 digest. */
    public String pushBlob(String repository, byte[] content) {
        String location = startUpload(repository);
        String digest = sha256(content);
        HttpResponse<byte[]> response = put(withQuery(location, "digest=" + digest), content,
                "Content-Type", "application/octet-stream");
        assertThat(response.statusCode()).as("PUT blob %s: %s", digest, body(response)).isEqualTo(201);
        return digest;
    }

    public HttpResponse<byte[]> putManifest(String repository, String reference, String mediaType, byte[] manifest) {
        return put("/v2/" + repository + "/manifests/" + reference, manifest, "Content-Type", mediaType);
    }

    /** Pushes a manifest, asserting 201; returns its sha256 digest. */
    public String pushManifest(String repository, String reference, String mediaType, byte[] manifest) {
        HttpResponse<byte[]> response = putManifest(repository, reference, mediaType, manifest);
        assertThat(response.statusCode()).as("PUT manifest %s:%s: %s", repository, reference, body(response))
                .isEqualTo(201);
        return sha256(manifest);
    }

    /** What {@link #pushImage} pushed. */
    public record PushedImage(String digest, byte[] manifest, byte[] config, List<byte[]> layers) {
        public Map<String, Object> descriptor() {
            return TestContent.descriptor(TestContent.OCI_MANIFEST, manifest);
        }
    }

    /** Pushes a small OCI image (a config and the given number of random layers) under {@code reference}. */
    public PushedImage pushImage(String repository, String reference, int layerCount) {
        byte[] config = TestContent.imageConfig("amd64");
        pushBlob(repository, config);
        List<byte[]> layers = new ArrayList<>();
        List<Map<String, Object>> layerDescriptors = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            byte[] layer = TestContent.randomBytes(1024 + i * 311);
            pushBlob(repository, layer);
            layers.add(layer);
            layerDescriptors.add(TestContent.descriptor(TestContent.OCI_LAYER, layer));
        }
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, config), layerDescriptors));
        String digest = pushManifest(repository, reference, TestContent.OCI_MANIFEST, manifest);
        return new PushedImage(digest, manifest, config, layers);
    }

    public PushedImage pushImage(String repository, String reference) {
        return pushImage(repository, reference, 1);
    }

    /** The artifact type of the signatures {@link #pushSignature} pushes. */
    public static final String SIGNATURE_TYPE = "application/vnd.berth.test.signature";

    /** Pushes a signature of {@code subject} by digest, as notation or cosign would: a referrer with the empty config. */
    public String pushSignature(String repository, PushedImage subject) {
        byte[] signature = TestContent.randomBytes(64);
        pushBlob(repository, signature);
        pushBlob(repository, TestContent.EMPTY_JSON);
        Map<String, Object> manifest = TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_EMPTY, TestContent.EMPTY_JSON),
                List.of(TestContent.descriptor(SIGNATURE_TYPE, signature)));
        manifest.put("artifactType", SIGNATURE_TYPE);
        manifest.put("subject", subject.descriptor());
        byte[] bytes = TestContent.toJson(manifest);
        return pushManifest(repository, TestContent.sha256(bytes), TestContent.OCI_MANIFEST, bytes);
    }

    /**
     * Asserts that the blob or manifest at {@code target} is absent: GET answers 404 with the error {@code code}, and
     * HEAD (which has no body to carry a code) answers 404.
     */
    public void assertAbsent(String target, String code) {
        assertError(get(target), 404, code);
        assertThat(head(target).statusCode()).as("HEAD %s", target).isEqualTo(404);
    }

    // ---- response helpers ---------------------------------------------------------------------------------------

    public static String location(HttpResponse<?> response) {
        return response.headers().firstValue("Location")
                .orElseThrow(() -> new AssertionError("no Location header in " + response.statusCode() + " " + response.headers().map()));
    }

    public static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** Appends a query parameter to a URL that may already carry a query (upload locations often do). */
    public static String withQuery(String url, String parameter) {
        return url + (url.contains("?") ? "&" : "?") + parameter;
    }

    public static JsonNode json(HttpResponse<byte[]> response) {
        return TestContent.parse(response.body());
    }

    public static String body(HttpResponse<byte[]> response) {
        byte[] body = response.body();
        if (body == null) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, 2000), java.nio.charset.StandardCharsets.UTF_8);
        return response.statusCode() + " " + text;
    }

    /**
     * Asserts the spec's error shape: the status, a JSON body {@code {"errors":[{"code","message","detail"}]}} whose
     * codes are upper case and underscores, and that one of them is among {@code expectedCodes} (when any are given).
     */
    public static void assertError(HttpResponse<byte[]> response, int status, String... expectedCodes) {
        assertThat(response.statusCode()).as("status of %s", body(response)).isEqualTo(status);
        assertErrorBody(response, expectedCodes);
    }

    public static void assertErrorBody(HttpResponse<byte[]> response, String... expectedCodes) {
        assertThat(response.headers().firstValue("Content-Type")).as("error Content-Type")
                .hasValueSatisfying(type -> assertThat(type).contains("json"));
        JsonNode errors = json(response).path("errors");
        assertThat(errors.isArray()).as("errors array in %s", body(response)).isTrue();
        assertThat(errors.size()).as("errors in %s", body(response)).isPositive();
        List<String> codes = new ArrayList<>();
        for (JsonNode error : errors) {
            String code = error.path("code").asString("");
            assertThat(code).as("error code").matches("[A-Z_]+");
            assertThat(error.has("message")).as("message in %s", error).isTrue();
            codes.add(code);
        }
        if (expectedCodes.length > 0) {
            assertThat(codes).as("error codes of %s", body(response)).containsAnyElementsOf(Arrays.asList(expectedCodes));
        }
    }
}
