package io.berth.bench.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * The registry protocol's steps over plain HTTP/1.1 with keep-alive connections. Knows nothing about the server
 * behind the address: every check here is what the OCI distribution spec promises a client.
 */
public final class RegistryClient {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String ACCEPT_MANIFESTS = String.join(", ", OCI_MANIFEST,
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);

    private final URI base;
    private final HttpClient http;
    private volatile boolean singlePostUploads = true;

    public RegistryClient(URI base) {
        this.base = base;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** The registry's address, e.g. {@code http://127.0.0.1:5000}. */
    public URI base() {
        return base;
    }

    // ---- blob uploads

    /**
     * Finds out once whether the registry completes an upload in a single {@code POST ?digest=} (the spec lets it
     * answer 202 instead). Registries that don't get {@code POST} then {@code PUT ?digest=} with the body, so
     * neither server has its monolithic uploads sent twice.
     */
    public boolean probeSinglePostUploads(String repository) throws IOException, InterruptedException,
            UnexpectedResponse {
        byte[] probe = ("single POST probe " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        HttpResponse<Void> response = send(request(uploadsPath(repository) + "?digest=" + Sha256.of(probe))
                .header("Content-Type", "application/octet-stream")
                .POST(BodyPublishers.ofByteArray(probe)), BodyHandlers.discarding());
        if (response.statusCode() == 202) {
            singlePostUploads = false;
            put(location(response), Sha256.of(probe), BodyPublishers.ofByteArray(probe));
        } else {
            expect(response, 201);
        }
        return singlePostUploads;
    }

    /** Uploads a whole blob in one request (or POST + PUT where single POST is not supported). */
    public void pushMonolithic(String repository, String digest, byte[] content) throws IOException,
            InterruptedException, UnexpectedResponse {
        if (singlePostUploads) {
            HttpResponse<Void> response = send(request(uploadsPath(repository) + "?digest=" + digest)
                    .header("Content-Type", "application/octet-stream")
                    .POST(BodyPublishers.ofByteArray(content)), BodyHandlers.discarding());
            expect(response, 201);
        } else {
            put(startUpload(repository), digest, BodyPublishers.ofByteArray(content));
        }
    }

    /** Uploads a blob as {@code POST}, one {@code PATCH} per chunk with {@code Content-Range}, then {@code PUT}. */
    public void pushChunked(String repository, String digest, byte[] content, int chunks) throws IOException,
            InterruptedException, UnexpectedResponse {
        URI location = startUpload(repository);
        int chunkSize = Math.max(1, (content.length + chunks - 1) / chunks);
        for (int offset = 0; offset < content.length; offset += chunkSize) {
            int end = Math.min(content.length, offset + chunkSize);
            location = patch(location, offset, end - offset,
                    BodyPublishers.ofByteArray(content, offset, end - offset));
        }
        put(location, digest, BodyPublishers.noBody());
    }

    /** {@code POST /v2/<name>/blobs/uploads/}: opens an upload session and returns where to send the bytes. */
    public URI startUpload(String repository) throws IOException, InterruptedException, UnexpectedResponse {
        HttpResponse<Void> response = send(request(uploadsPath(repository)).POST(BodyPublishers.noBody()),
                BodyHandlers.discarding());
        expect(response, 202);
        return location(response);
    }

    /** One {@code PATCH} of {@code length} bytes at {@code offset}; returns the session's next location. */
    public URI patch(URI location, long offset, long length, BodyPublisher chunk) throws IOException,
            InterruptedException, UnexpectedResponse {
        HttpResponse<Void> response = send(HttpRequest.newBuilder(location).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", offset + "-" + (offset + length - 1))
                .method("PATCH", chunk), BodyHandlers.discarding());
        expect(response, 202);
        return location(response);
    }

    /** {@code PUT <location>?digest=}: closes the upload, with the last bytes as body (or none). */
    public void put(URI location, String digest, BodyPublisher lastBytes) throws IOException, InterruptedException,
            UnexpectedResponse {
        String separator = location.getRawQuery() == null ? "?" : "&";
        URI target = URI.create(location + separator + "digest=" + digest);
        HttpResponse<Void> response = send(HttpRequest.newBuilder(target).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/octet-stream")
                .PUT(lastBytes), BodyHandlers.discarding());
        expect(response, 201);
        String stored = response.headers().firstValue("Docker-Content-Digest").orElse(digest);
        if (!stored.equals(digest)) {
            throw new UnexpectedResponse("PUT " + target + " stored " + stored + ", expected " + digest);
        }
    }

    // ---- blob downloads

    /** Downloads a blob, streaming it through SHA-256; returns its size after checking the digest. */
    public long pullBlob(String repository, String digest) throws IOException, InterruptedException,
            UnexpectedResponse {
        HttpResponse<DigestingSubscriber.Digested> response = send(
                request("/v2/" + repository + "/blobs/" + digest).GET(),
                info -> BodySubscribers.fromSubscriber(new DigestingSubscriber(), DigestingSubscriber::result));
        expect(response, 200);
        DigestingSubscriber.Digested body = response.body();
        if (!body.digest().equals(digest)) {
            throw new UnexpectedResponse("GET blob " + digest + " returned content with digest " + body.digest());
        }
        return body.size();
    }

    // ---- manifests

    /** {@code PUT /v2/<name>/manifests/<reference>}; returns the digest the registry reports. */
    public String putManifest(String repository, String reference, String mediaType, byte[] manifest)
            throws IOException, InterruptedException, UnexpectedResponse {
        HttpResponse<byte[]> response = send(request(manifestPath(repository, reference))
                .header("Content-Type", mediaType)
                .PUT(BodyPublishers.ofByteArray(manifest)), BodyHandlers.ofByteArray());
        expect(response, 201);
        return response.headers().firstValue("Docker-Content-Digest").orElse(null);
    }

    /** {@code GET} a manifest; checks the bytes hash to {@code expectedDigest} and returns them. */
    public byte[] getManifest(String repository, String reference, String expectedDigest) throws IOException,
            InterruptedException, UnexpectedResponse {
        HttpResponse<byte[]> response = send(request(manifestPath(repository, reference))
                .header("Accept", ACCEPT_MANIFESTS).GET(), BodyHandlers.ofByteArray());
        expect(response, 200);
        String actual = Sha256.of(response.body());
        if (!actual.equals(expectedDigest)) {
            throw new UnexpectedResponse("GET manifest " + repository + ":" + reference + " has digest " + actual
                    + ", expected " + expectedDigest);
        }
        return response.body();
    }

    /** {@code HEAD} a manifest; checks {@code Docker-Content-Digest}. */
    public void headManifest(String repository, String reference, String expectedDigest) throws IOException,
            InterruptedException, UnexpectedResponse {
        HttpResponse<Void> response = send(request(manifestPath(repository, reference))
                .header("Accept", ACCEPT_MANIFESTS).HEAD(), BodyHandlers.discarding());
        expect(response, 200);
        String digest = response.headers().firstValue("Docker-Content-Digest").orElse("(none)");
        if (!digest.equals(expectedDigest)) {
            throw new UnexpectedResponse("HEAD manifest " + repository + ":" + reference
                    + " answered Docker-Content-Digest " + digest + ", expected " + expectedDigest);
        }
    }

    // ---- listings

    /** {@code GET} a listing path (tags, referrers); returns the response so the caller can judge it. */
    public HttpResponse<byte[]> get(String pathAndQuery) throws IOException, InterruptedException {
        return send(request(pathAndQuery).GET(), BodyHandlers.ofByteArray());
    }

    // ---- plumbing

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(REQUEST_TIMEOUT);
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return http.send(request.build(), handler);
    }

    private URI location(HttpResponse<?> response) throws UnexpectedResponse {
        String location = response.headers().firstValue("Location").orElseThrow(() -> new UnexpectedResponse(
                response.request().method() + " " + response.request().uri() + " answered without Location"));
        return response.request().uri().resolve(location);
    }

    public static void expect(HttpResponse<?> response, int... statuses) throws UnexpectedResponse {
        if (Arrays.stream(statuses).noneMatch(s -> s == response.statusCode())) {
            String body = response.body() instanceof byte[] bytes
                    ? new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.UTF_8) : "";
            throw unexpected(response, body, statuses);
        }
    }

    private static UnexpectedResponse unexpected(HttpResponse<?> response, String body, int... expected) {
        return new UnexpectedResponse(response.request().method() + " " + response.request().uri().getRawPath()
                + " answered " + response.statusCode() + " (expected " + Arrays.toString(expected) + ") "
                + body.strip());
    }

    private static String uploadsPath(String repository) {
        return "/v2/" + repository + "/blobs/uploads/";
    }

    private static String manifestPath(String repository, String reference) {
        return "/v2/" + repository + "/manifests/" + reference;
    }
}
