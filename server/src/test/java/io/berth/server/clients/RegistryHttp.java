package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Reads manifests and blobs back over plain HTTP, independently of the client under test, so every round trip is
 * checked against what the registry actually serves.
 */
final class RegistryHttp {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** What a modern client sends: every manifest type it can read. */
    static final String[] ANY_MANIFEST = {OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST};

    record Manifest(byte[] body, String contentType, String dockerContentDigest) {}

    private final String baseUrl;
    private final String authorization;
    /**
     * HTTP/1.1, as registry clients speak it. Not the JDK client's default of HTTP/2 by upgrade (h2c): when the first
     * request on a connection is answered with more than the initial flow-control window, the JDK client now and then
     * misreads the frames that follow the {@code 101} (the server's bytes, captured, parse as well-formed frames).
     */
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();

    RegistryHttp(String baseUrl) {
        this(baseUrl, null);
    }

    private RegistryHttp(String baseUrl, String authorization) {
        this.baseUrl = baseUrl;
        this.authorization = authorization;
    }

    /** The same reads with an {@code Authorization} header, for a registry that requires authentication. */
    RegistryHttp authorized(String authorization) {
        return new RegistryHttp(baseUrl, authorization);
    }

    /** GET /v2/NAME/manifests/REFERENCE with the given Accept types; fails unless the answer is 200. */
    Manifest manifest(String repository, String reference, String... accept) {
        HttpRequest.Builder request = request("/v2/" + repository + "/manifests/" + reference);
        for (String type : accept.length == 0 ? ANY_MANIFEST : accept) {
            request.header("Accept", type);
        }
        HttpResponse<byte[]> response = send(request.build());
        assertThat(response.statusCode()).as("GET %s", response.uri()).isEqualTo(200);
        return new Manifest(response.body(),
                response.headers().firstValue("Content-Type").orElse(null),
                response.headers().firstValue("Docker-Content-Digest").orElse(null));
    }

    /** The status of GET /v2/NAME/manifests/REFERENCE: 404 for a manifest that is not there. */
    int manifestStatus(String repository, String reference) {
        return send(request("/v2/" + repository + "/manifests/" + reference).build()).statusCode();
    }

    /** GET /v2/NAME/blobs/DIGEST; fails unless the answer is 200 and the bytes hash to the digest. */
    byte[] blob(String repository, String digest) {
        HttpResponse<byte[]> response = send(request("/v2/" + repository + "/blobs/" + digest).build());
        assertThat(response.statusCode()).as("GET %s", response.uri()).isEqualTo(200);
        assertThat(Sha256.of(response.body())).as("digest of the bytes served for %s", digest).isEqualTo(digest);
        return response.body();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request;
    }

    private HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new AssertionError(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
