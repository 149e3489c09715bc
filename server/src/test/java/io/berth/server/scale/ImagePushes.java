package io.berth.server.scale;

import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Pushes small images as a client that retries does: each blob as POST, PATCH and PUT (so its requests can reach
 * different nodes), then the manifest; a step whose request fails (an error status, or a connection that broke) is
 * started over, a few times. Remembers every answer, every blob it tried to push, and what was acknowledged: a blob
 * whose PUT and an image whose manifest PUT got 201.
 */
final class ImagePushes {
    /** One answer: its status, or -1 when the request failed without one (connection refused or reset). */
    record Answer(String request, int status, byte[] body) {
        @Override
        public String toString() {
            return request + " -> " + status + (body == null ? "" : " " + new String(body, 0, Math.min(body.length, 300),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** An image whose manifest PUT answered 201. */
    record Image(String repository, String tag, byte[] manifest, List<byte[]> blobs) {
    }

    private final RegistryClient client;
    private final int attempts;
    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final Map<String, byte[]> attempted = new ConcurrentHashMap<>();
    private final Map<String, byte[]> acknowledgedBlobs = new ConcurrentHashMap<>();
    private final Queue<Image> acknowledgedImages = new ConcurrentLinkedQueue<>();

    ImagePushes(RegistryClient client, int attempts) {
        this.client = client;
        this.attempts = attempts;
    }

    /** Pushes an image with a config and one random layer of {@code layerSize}; false when every attempt failed. */
    boolean push(String repository, String tag, int layerSize) {
        byte[] config = TestContent.imageConfig("amd64");
        byte[] layer = TestContent.randomBytes(layerSize);
        if (!pushBlob(repository, config) || !pushBlob(repository, layer)) {
            return false;
        }
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, config),
                List.of(TestContent.descriptor(TestContent.OCI_LAYER, layer))));
        for (int attempt = 0; attempt < attempts; attempt++) {
            HttpResponse<byte[]> put = send("PUT", "/v2/" + repository + "/manifests/" + tag, manifest,
                    "Content-Type", TestContent.OCI_MANIFEST);
            if (put != null && put.statusCode() == 201) {
                acknowledgedImages.add(new Image(repository, tag, manifest, List.of(config, layer)));
                return true;
            }
            pause();
        }
        return false;
    }

    private boolean pushBlob(String repository, byte[] blob) {
        String digest = sha256(blob);
        attempted.put(digest, blob);
        int half = blob.length / 2;
        for (int attempt = 0; attempt < attempts; attempt++) {
            HttpResponse<byte[]> started = send("POST", "/v2/" + repository + "/blobs/uploads/", new byte[0]);
            if (started != null && started.statusCode() == 202) {
                HttpResponse<byte[]> patched = send("PATCH", RegistryClient.location(started),
                        Arrays.copyOfRange(blob, 0, half), "Content-Type", "application/octet-stream",
                        "Content-Range", "0-" + (half - 1));
                if (patched != null && patched.statusCode() == 202) {
                    HttpResponse<byte[]> done = send("PUT", withQuery(RegistryClient.location(patched),
                            "digest=" + digest), Arrays.copyOfRange(blob, half, blob.length),
                            "Content-Type", "application/octet-stream");
                    if (done != null && done.statusCode() == 201) {
                        acknowledgedBlobs.put(digest, blob);
                        return true;
                    }
                }
            }
            pause();
        }
        return false;
    }

    private HttpResponse<byte[]> send(String method, String target, byte[] body, String... headers) {
        String request = method + " " + target.replaceAll("\\?.*", "");
        try {
            HttpResponse<byte[]> response = client.send(method, target,
                    java.net.http.HttpRequest.BodyPublishers.ofByteArray(body), headers);
            answers.add(new Answer(request, response.statusCode(), response.body()));
            return response;
        } catch (UncheckedIOException e) {
            answers.add(new Answer(request, -1, null));
            return null;
        }
    }

    /** Asserts that {@code client} serves the image whole: its manifest by tag and each blob, byte for byte. */
    static void assertServed(RegistryClient client, Image image, String where) {
        HttpResponse<byte[]> manifest = client.get("/v2/" + image.repository() + "/manifests/" + image.tag(),
                "Accept", TestContent.OCI_MANIFEST);
        assertThat(manifest.statusCode())
                .as("%s %s:%s: %s", where, image.repository(), image.tag(), RegistryClient.body(manifest))
                .isEqualTo(200);
        assertThat(sha256(manifest.body())).isEqualTo(sha256(image.manifest()));
        for (byte[] blob : image.blobs()) {
            HttpResponse<byte[]> pulled = client.get("/v2/" + image.repository() + "/blobs/" + sha256(blob));
            assertThat(pulled.statusCode()).as("%s blob of %s:%s", where,
                    image.repository(), image.tag()).isEqualTo(200);
            assertThat(sha256(pulled.body())).isEqualTo(sha256(blob));
        }
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    List<Answer> answers() {
        return List.copyOf(answers);
    }

    Map<String, byte[]> attemptedBlobs() {
        return Map.copyOf(attempted);
    }

    Map<String, byte[]> acknowledgedBlobs() {
        return Map.copyOf(acknowledgedBlobs);
    }

    List<Image> acknowledgedImages() {
        return List.copyOf(acknowledgedImages);
    }
}
