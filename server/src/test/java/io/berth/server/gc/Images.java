package io.berth.server.gc;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** Pushes, checks and collections for garbage collection tests. */
final class Images {
    private Images() {
    }

    /** A pushed manifest and the blobs it references (empty for an index). */
    record Image(String repository, String digest, byte[] manifest, List<byte[]> blobs) {
        String reference() {
            return repository + "@" + digest;
        }

        List<String> blobDigests() {
            return blobs.stream().map(TestContent::sha256).toList();
        }

        Map<String, Object> descriptor() {
            return TestContent.descriptor(TestContent.OCI_MANIFEST, manifest);
        }
    }

    /** An image of a config and {@code layers} random layers, pushed under {@code tag}, or by digest when null. */
    static Image pushImage(RegistryClient client, String repository, String tag, int layers) {
        List<byte[]> blobs = new ArrayList<>();
        blobs.add(TestContent.imageConfig("amd64"));
        for (int i = 0; i < layers; i++) {
            blobs.add(TestContent.randomBytes(512 + i * 97));
        }
        return pushImage(client, repository, tag, blobs, null);
    }

    /** An image of these blobs (config first), pushed under {@code tag} (or by digest), with an optional subject. */
    static Image pushImage(RegistryClient client, String repository, String tag, List<byte[]> blobs,
                           Image subject) {
        for (byte[] blob : blobs) {
            client.pushBlob(repository, blob);
        }
        List<Map<String, Object>> layers = blobs.subList(1, blobs.size()).stream()
                .map(layer -> TestContent.descriptor(TestContent.OCI_LAYER, layer)).toList();
        Map<String, Object> document = TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, blobs.getFirst()), layers);
        if (subject != null) {
            document.put("subject", subject.descriptor());
        }
        byte[] manifest = TestContent.toJson(document);
        String digest = sha256(manifest);
        client.pushManifest(repository, tag == null ? digest : tag, TestContent.OCI_MANIFEST, manifest);
        return new Image(repository, digest, manifest, List.copyOf(blobs));
    }

    /** A referrer (a signature, say) of {@code subject}: an artifact with one random layer, by digest or tagged. */
    static Image pushReferrer(RegistryClient client, Image subject, String tag) {
        return pushReferrer(client, subject.repository(), subject.descriptor(), tag);
    }

    static Image pushReferrer(RegistryClient client, String repository, Map<String, Object> subject, String tag) {
        List<byte[]> blobs = List.of(TestContent.EMPTY_JSON, TestContent.randomBytes(300));
        for (byte[] blob : blobs) {
            client.pushBlob(repository, blob);
        }
        Map<String, Object> document = TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_EMPTY, TestContent.EMPTY_JSON),
                List.of(TestContent.descriptor("application/vnd.example.signature", blobs.get(1))));
        document.put("artifactType", "application/vnd.example.signature");
        document.put("subject", subject);
        byte[] manifest = TestContent.toJson(document);
        String digest = sha256(manifest);
        client.pushManifest(repository, tag == null ? digest : tag, TestContent.OCI_MANIFEST, manifest);
        return new Image(repository, digest, manifest, blobs);
    }

    /** An index over {@code children}, pushed under {@code tag}. */
    static Image pushIndex(RegistryClient client, String repository, String tag, List<Image> children) {
        byte[] manifest = TestContent.toJson(TestContent.index(TestContent.OCI_INDEX,
                children.stream().map(Image::descriptor).toList()));
        client.pushManifest(repository, tag, TestContent.OCI_INDEX, manifest);
        return new Image(repository, sha256(manifest), manifest, List.of());
    }

    /** Runs a collection through the admin API, asserting 200; its JSON report. */
    static JsonNode collect(RegistryClient client) {
        return report(client.post("/admin/gc", new byte[0]));
    }

    static JsonNode dryRun(RegistryClient client) {
        JsonNode report = report(client.post("/admin/gc?dryRun=true", new byte[0]));
        assertThat(report.path("dryRun").asBoolean()).isTrue();
        return report;
    }

    private static JsonNode report(HttpResponse<byte[]> response) {
        assertThat(response.statusCode()).as("POST /admin/gc: %s", body(response)).isEqualTo(200);
        return RegistryClient.json(response);
    }

    /**
     * The items of one kind in a report: {@code repository@digest} for manifests and links, the digest for blobs,
     * the id for uploads.
     */
    static Set<String> collected(JsonNode report, String kind) {
        Set<String> items = new HashSet<>();
        for (JsonNode item : report.path("items")) {
            if (item.path("kind").asString().equals(kind)) {
                String reference = item.has("digest") ? item.path("digest").asString() : item.path("id").asString();
                boolean qualified = item.has("repository") && !kind.equals("upload");
                items.add(qualified ? item.path("repository").asString() + "@" + reference : reference);
            }
        }
        return items;
    }

    /** The manifest pulls by digest with its exact bytes, and so does every blob it references. */
    static void assertIntact(RegistryClient client, Image image) {
        HttpResponse<byte[]> manifest = client.get("/v2/" + image.repository() + "/manifests/" + image.digest(),
                "Accept", TestContent.OCI_MANIFEST + ", " + TestContent.OCI_INDEX);
        assertThat(manifest.statusCode()).as("GET manifest %s: %s", image.reference(), body(manifest)).isEqualTo(200);
        assertThat(manifest.body()).isEqualTo(image.manifest());
        for (byte[] blob : image.blobs()) {
            HttpResponse<byte[]> response = client.get("/v2/" + image.repository() + "/blobs/" + sha256(blob));
            assertThat(response.statusCode()).as("GET blob %s of %s", sha256(blob), image.reference()).isEqualTo(200);
            assertThat(sha256(response.body())).isEqualTo(sha256(blob));
        }
    }

    static void assertManifestGone(RegistryClient client, Image image) {
        HttpResponse<byte[]> response = client.get("/v2/" + image.repository() + "/manifests/" + image.digest());
        assertThat(response.statusCode()).as("GET manifest %s: %s", image.reference(), body(response)).isEqualTo(404);
    }

    /** Where the filesystem blob store keeps a blob's bytes. */
    static Path blobFile(Path data, String digest) {
        String hex = digest.substring("sha256:".length());
        return data.resolve("blobs").resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
    }
}
