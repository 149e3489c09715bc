package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.RepositorySummaries;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The management API over HTTP: repositories with their counts, sizes and times, their images and referrers with
 * ECR's image details, one image with its config, platforms and referrer tree, tags, and deletions.
 */
class ManagementApiTest extends PerBackendRegistryTest {
    private static final String SBOM_TYPE = "application/spdx+json";

    @AfterEach
    void summariesMatchTheirRows() {
        RepositorySummaries.assertExact(registry.config().effectiveMetadataUrl());
    }

    @Test
    void aRepositoryIsListedWithItsCountsSizeAndTimes() {
        String repository = TestContent.uniqueRepository("manage");
        Content content = new Content(repository);
        RegistryClient.PushedImage image = content.image("v1", 2);
        content.image("v2", 1);
        content.tag("latest", image);
        String signature = content.referrer(image.digest(), image.manifest(), RegistryClient.SIGNATURE_TYPE);

        JsonNode listed = only(get("/api/v1/repositories?name=" + repository).path("repositories"));

        assertThat(listed.path("name").asString()).isEqualTo(repository);
        assertThat(listed.path("imageCount").asLong()).isEqualTo(2);
        assertThat(listed.path("tagCount").asLong()).isEqualTo(3);
        assertThat(listed.path("referrerCount").asLong()).isEqualTo(1);
        assertThat(listed.path("sizeBytes").asLong()).isEqualTo(content.bytes());
        assertThat(listed.path("createdAt").asString()).isNotEmpty();
        assertThat(Instant.parse(listed.path("lastPushedAt").asString()))
                .isAfterOrEqualTo(Instant.parse(listed.path("createdAt").asString()));
        assertThat(listed.path("lastPulledAt").isNull()).isTrue();
        assertThat(get("/api/v1/repositories/" + repository)).isEqualTo(listed);

        client.get("/v2/" + repository + "/manifests/" + signature);
        client.get("/admin/lifecycle/preview"); // which writes the pull times noted so far first
        assertThat(get("/api/v1/repositories/" + repository).path("lastPulledAt").asString()).isNotEmpty();
    }

    @Test
    void repositoriesArePagedBySizeOrNameWithACursor() {
        String prefix = TestContent.uniqueRepository("paged");
        List<String> bySize = new ArrayList<>();
        for (int layers = 3; layers >= 1; layers--) {
            String repository = prefix + "/r" + layers;
            new Content(repository).image("v1", layers);
            bySize.add(repository);
        }
        assertThat(names("/api/v1/repositories?sort=size&limit=2&name=" + prefix)).isEqualTo(bySize);
        assertThat(names("/api/v1/repositories?sort=name&limit=1&name=" + prefix)).isEqualTo(bySize.reversed());
        assertThat(names("/api/v1/repositories?sort=pushed&name=" + prefix)).isEqualTo(bySize.reversed());

        assertError(client.get("/api/v1/repositories?sort=largest"), 400, "UNSUPPORTED");
        assertThat(RegistryClient.body(client.get("/api/v1/repositories?sort=largest")))
                .contains("sort must be one of name, pushed, size");
        assertError(client.get("/api/v1/repositories?sort=size&cursor=nonsense"), 400, "UNSUPPORTED");
        assertError(client.get("/api/v1/repositories?limit=0"), 400, "UNSUPPORTED");
        assertError(client.get("/api/v1/repositories/" + prefix + "/none"), 404, "NAME_UNKNOWN");
    }

    @Test
    void imagesAndReferrersAreListedWithTheirSizesTagsAndPlatforms() {
        String repository = TestContent.uniqueRepository("manage");
        Content content = new Content(repository);
        RegistryClient.PushedImage untagged = content.image(null, 1);
        RegistryClient.PushedImage image = content.image("v1", 2);
        RegistryClient.PushedImage arm = content.image(null, 2);
        Map<String, Object> platforms = new LinkedHashMap<>();
        platforms.put(untagged.digest(), TestContent.platform("linux", "amd64"));
        platforms.put(arm.digest(), TestContent.platform("linux", "arm64"));
        byte[] index = content.index("multi", List.of(untagged, arm), platforms);
        String signature = content.referrer(image.digest(), image.manifest(), RegistryClient.SIGNATURE_TYPE);

        List<JsonNode> all = list(get("/api/v1/repositories/" + repository + "/-/images").path("images"));
        // newest first; the index's children are its platforms, not images of their own
        assertThat(digests(all)).containsExactly(signature, TestContent.sha256(index), image.digest());

        JsonNode listedIndex = all.get(1);
        assertThat(listedIndex.path("platforms").toString()).isEqualTo("[\"linux/amd64\",\"linux/arm64\"]");
        assertThat(listedIndex.path("tags").toString()).isEqualTo("[\"multi\"]");
        assertThat(listedIndex.path("sizeBytes").asLong()).isEqualTo(index.length + size(untagged) + size(arm));
        JsonNode listedImage = all.get(2);
        assertThat(listedImage.path("sizeBytes").asLong()).isEqualTo(size(image));
        assertThat(listedImage.path("manifestSizeBytes").asLong()).isEqualTo(image.manifest().length);
        assertThat(listedImage.path("artifactType").asString()).isEqualTo(TestContent.OCI_CONFIG);
        assertThat(listedImage.path("subjectDigest").isNull()).isTrue();
        assertThat(all.getFirst().path("subjectDigest").asString()).isEqualTo(image.digest());
        assertThat(all.getFirst().path("artifactType").asString()).isEqualTo(RegistryClient.SIGNATURE_TYPE);

        String images = "/api/v1/repositories/" + repository + "/-/images";
        assertThat(digests(list(get(images + "?type=referrers").path("images")))).containsExactly(signature);
        assertThat(digests(list(get(images + "?type=images&tagged=tagged").path("images"))))
                .containsExactly(TestContent.sha256(index), image.digest());
        assertThat(digests(list(get(images + "?tagged=untagged").path("images")))).containsExactly(signature);
        assertThat(digests(list(get(images + "?artifactType=" + encode(RegistryClient.SIGNATURE_TYPE))
                .path("images")))).containsExactly(signature);
        // oldest first, one at a time, following the cursor
        assertThat(digests(allPages(images + "?order=oldest&limit=1", "images")))
                .containsExactly(image.digest(), TestContent.sha256(index), signature);

        assertError(client.get(images + "?type=everything"), 400, "UNSUPPORTED");
        assertError(client.get("/api/v1/repositories/" + repository + "x/-/images"), 404, "NAME_UNKNOWN");
    }

    @Test
    void aPageOfImagesReadAgainShowsEveryWriteAtOnce() {
        String repository = TestContent.uniqueRepository("manage");
        Content content = new Content(repository);
        String page = "/api/v1/repositories/" + repository + "/-/images";
        RegistryClient.PushedImage first = content.image("v1", 1);
        assertThat(tagsOf(get(page))).containsExactly("[\"v1\"]");

        content.tag("v2", first);
        assertThat(tagsOf(get(page))).containsExactly("[\"v1\",\"v2\"]");
        client.delete("/api/v1/repositories/" + repository + "/-/tags/v1");
        assertThat(tagsOf(get(page))).containsExactly("[\"v2\"]");

        assertThat(only(get(page).path("images")).path("lastPulledAt").isNull()).isTrue();
        client.get("/v2/" + repository + "/manifests/v2");
        client.get("/admin/lifecycle/preview"); // which writes the pull times noted so far first
        assertThat(only(get(page).path("images")).path("lastPulledAt").asString()).isNotEmpty();

        RegistryClient.PushedImage second = content.image(null, 1);
        assertThat(digests(list(get(page).path("images")))).containsExactly(second.digest(), first.digest());
        client.delete("/api/v1/repositories/" + repository + "/-/images/" + second.digest());
        assertThat(digests(list(get(page).path("images")))).containsExactly(first.digest());
        client.delete("/api/v1/repositories/" + repository);
        assertError(client.get(page), 404, "NAME_UNKNOWN");
    }

    @Test
    void oneImageShowsItsConfigLayersAndTheTreeOfItsReferrers() {
        String repository = TestContent.uniqueRepository("manage");
        Content content = new Content(repository);
        RegistryClient.PushedImage image = content.image("v1", 2);
        String signature = content.referrer(image.digest(), image.manifest(), RegistryClient.SIGNATURE_TYPE);
        String sbom = content.referrer(image.digest(), image.manifest(), SBOM_TYPE);
        byte[] sbomManifest = content.manifests.get(sbom);
        String sbomSignature = content.referrer(sbom, sbomManifest, RegistryClient.SIGNATURE_TYPE);

        JsonNode detail = get("/api/v1/repositories/" + repository + "/-/images/" + image.digest());

        assertThat(detail.path("digest").asString()).isEqualTo(image.digest());
        assertThat(detail.path("manifest")).isEqualTo(TestContent.parse(image.manifest()));
        JsonNode config = detail.path("config");
        assertThat(config.path("digest").asString()).isEqualTo(TestContent.sha256(image.config()));
        assertThat(config.path("os").asString()).isEqualTo("linux");
        assertThat(config.path("architecture").asString()).isEqualTo("amd64");
        assertThat(config.path("labels").path("org.opencontainers.image.title").asString()).isEqualTo(repository);
        assertThat(config.path("cmd").toString()).isEqualTo("[\"/app\",\"--serve\"]");
        assertThat(list(detail.path("layers"))).extracting(layer -> layer.path("sizeBytes").asLong())
                .containsExactly((long) image.layers().get(0).length, (long) image.layers().get(1).length);

        JsonNode referrers = detail.path("referrers");
        assertThat(digests(list(referrers))).containsExactly(signature, sbom);
        assertThat(digests(list(referrers.get(0).path("referrers")))).isEmpty();
        assertThat(digests(list(referrers.get(1).path("referrers")))).containsExactly(sbomSignature);
        assertThat(detail.path("referrersTruncated").asBoolean()).isFalse();

        JsonNode sboms = get("/api/v1/repositories/" + repository + "/-/images/" + image.digest() + "?artifactType="
                + encode(SBOM_TYPE));
        assertThat(digests(list(sboms.path("referrers")))).containsExactly(sbom);
        assertThat(digests(list(sboms.path("referrers").get(0).path("referrers")))).containsExactly(sbomSignature);

        JsonNode artifact = get("/api/v1/repositories/" + repository + "/-/images/" + signature);
        assertThat(artifact.path("config").path("mediaType").asString()).isEqualTo(TestContent.OCI_EMPTY);
        assertThat(artifact.path("config").has("os")).isFalse();
        assertError(client.get("/api/v1/repositories/" + repository + "/-/images/sha256:" + "0".repeat(64)), 404,
                "MANIFEST_UNKNOWN");
        assertError(client.get("/api/v1/repositories/" + repository + "/-/images/latest"), 400, "DIGEST_INVALID");
    }

    @Test
    void anIndexListsItsPlatformsWithTheirManifests() {
        String repository = TestContent.uniqueRepository("manage");
        Content content = new Content(repository);
        RegistryClient.PushedImage amd = content.image(null, 1);
        RegistryClient.PushedImage arm = content.image(null, 3);
        Map<String, Object> platforms = new LinkedHashMap<>();
        platforms.put(amd.digest(), TestContent.platform("linux", "amd64"));
        platforms.put(arm.digest(), TestContent.platform("linux", "arm64"));
        byte[] index = content.index("v1", List.of(amd, arm), platforms);

        JsonNode detail = get("/api/v1/repositories/" + repository + "/-/images/" + TestContent.sha256(index));

        assertThat(detail.path("config").isNull()).isTrue();
        List<JsonNode> children = list(detail.path("children"));
        assertThat(children).extracting(child -> child.path("platform").asString())
                .containsExactly("linux/amd64", "linux/arm64");
        assertThat(children).extracting(child -> child.path("sizeBytes").asLong())
                .containsExactly(size(amd), size(arm));
        assertThat(detail.path("sizeBytes").asLong()).isEqualTo(index.length + size(amd) + size(arm));
    }

    @Test
    void tagsImagesAndRepositoriesAreDeleted() {
        String repository = TestContent.uniqueRepository("manage");
        Content content = new Content(repository);
        RegistryClient.PushedImage image = content.image("v1", 1);
        RegistryClient.PushedImage other = content.image("v2", 1);
        content.tag("latest", image);

        JsonNode tags = get("/api/v1/repositories/" + repository + "/-/tags?limit=2");
        assertThat(list(tags.path("tags"))).extracting(tag -> tag.path("name").asString())
                .containsExactly("latest", "v1");
        assertThat(tags.path("tags").get(0).path("digest").asString()).isEqualTo(image.digest());
        assertThat(tags.path("tags").get(0).path("updatedAt").asString()).isNotEmpty();
        assertThat(tags.path("next").asString()).isEqualTo("v1");
        assertThat(list(get("/api/v1/repositories/" + repository + "/-/tags?cursor=v1").path("tags")))
                .extracting(tag -> tag.path("name").asString()).containsExactly("v2");

        assertThat(client.delete("/api/v1/repositories/" + repository + "/-/tags/latest").statusCode())
                .isEqualTo(204);
        assertThat(client.get("/v2/" + repository + "/manifests/v1").statusCode()).isEqualTo(200);
        client.assertAbsent("/v2/" + repository + "/manifests/latest", "MANIFEST_UNKNOWN");
        assertError(client.delete("/api/v1/repositories/" + repository + "/-/tags/latest"), 404,
                "MANIFEST_UNKNOWN");

        assertThat(client.delete("/api/v1/repositories/" + repository + "/-/images/" + other.digest())
                .statusCode()).isEqualTo(204);
        client.assertAbsent("/v2/" + repository + "/manifests/v2", "MANIFEST_UNKNOWN");

        assertThat(client.delete("/api/v1/repositories/" + repository).statusCode()).isEqualTo(204);
        assertError(client.get("/api/v1/repositories/" + repository), 404, "NAME_UNKNOWN");
        client.assertAbsent("/v2/" + repository + "/manifests/v1", "MANIFEST_UNKNOWN");
        assertThat(list(get("/api/v1/repositories?name=" + repository).path("repositories"))).isEmpty();
        assertThat(RegistryClient.body(client.get("/v2/_catalog?n=10000"))).doesNotContain("\"" + repository + "\"");
        assertError(client.delete("/api/v1/repositories/" + repository), 404, "NAME_UNKNOWN");

        List<String> types = new ArrayList<>();
        for (JsonNode event : json(client.get("/admin/events?limit=1000")).path("events")) {
            if (repository.equals(event.path("data").path("repository").asString(null))) {
                types.add(event.path("type").asString());
            }
        }
        assertThat(types).endsWith("io.berth.tag.deleted", "io.berth.image.deleted", "io.berth.repository.deleted");

        // the repository can be pushed to again, afresh
        new Content(repository).image("v1", 1);
        assertThat(get("/api/v1/repositories/" + repository).path("imageCount").asLong()).isEqualTo(1);
    }

    @Test
    void usageCountsABlobSharedByTheNamespacesRepositoriesOnce() {
        String namespace = TestContent.uniqueRepository("usage") + "/";
        Content first = new Content(namespace + "a");
        Content second = new Content(namespace + "b");
        RegistryClient.PushedImage image = first.image("v1", 2);
        // the same image in the second repository: its blobs are linked twice and stored once
        for (byte[] blob : image.layers()) {
            second.blob(blob);
        }
        second.blob(image.config());
        second.manifest("v1", TestContent.OCI_MANIFEST, image.manifest());
        second.image("v2", 1);
        JsonNode before = get("/api/v1/usage").path("registry");
        byte[] loose = TestContent.randomBytes(777);
        client.pushBlob(namespace + "a", loose); // linked, referenced by no manifest

        JsonNode usage = get("/api/v1/usage?namespace=" + encode(namespace));

        long shared = size(image) - image.manifest().length;
        long expected = first.bytes() + second.bytes() - shared + loose.length;
        assertThat(usage.path("namespace").asString()).isEqualTo(namespace);
        assertThat(usage.path("repositories").asLong()).isEqualTo(2);
        assertThat(usage.path("sizeBytes").asLong()).isEqualTo(expected);
        assertThat(usage.path("manifestBytes").asLong())
                .isEqualTo(first.manifests.values().stream().mapToLong(m -> m.length).sum()
                        + second.manifests.values().stream().mapToLong(m -> m.length).sum());
        // the registry's totals: the loose blob is what the next collection would free
        JsonNode registryUsage = usage.path("registry");
        assertThat(registryUsage.path("unreferencedBytes").asLong() - before.path("unreferencedBytes").asLong())
                .isEqualTo(loose.length);
        assertThat(registryUsage.path("blobBytes").asLong()).isGreaterThanOrEqualTo(usage.path("blobBytes").asLong());
        assertThat(get("/api/v1/usage?namespace=" + encode(namespace + "a")).path("sizeBytes").asLong())
                .isEqualTo(first.bytes() + loose.length);
        assertThat(get("/api/v1/usage?namespace=" + encode(namespace + "none/")).path("repositories").asLong())
                .isZero();
    }

    @Test
    void theDocumentIsServedToAnyone() {
        JsonNode document = get("/api/v1/openapi.json");
        assertThat(document.path("openapi").asString()).isEqualTo("3.1.0");
        assertThat(document.path("paths").has("/api/v1/repositories/{name}/-/images/{digest}")).isTrue();
    }

    // ---- helpers

    private static JsonNode get(String target) {
        var response = client.get(target);
        assertThat(response.statusCode()).as("GET %s: %s", target, RegistryClient.body(response)).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        return json(response);
    }

    private static List<String> names(String target) {
        return allPages(target, "repositories").stream().map(repository -> repository.path("name").asString())
                .toList();
    }

    /** The items of every page of a listing, following each page's {@code next}; {@code target} has a query. */
    private static List<JsonNode> allPages(String target, String field) {
        List<JsonNode> items = new ArrayList<>();
        String next = null;
        do {
            JsonNode page = get(target + (next == null ? "" : "&cursor=" + encode(next)));
            items.addAll(list(page.path(field)));
            next = page.path("next").isNull() ? null : page.path("next").asString();
        } while (next != null);
        return items;
    }

    /** The tags of each image of a page, each list as JSON. */
    private static List<String> tagsOf(JsonNode page) {
        return list(page.path("images")).stream().map(image -> image.path("tags").toString()).toList();
    }

    private static JsonNode only(JsonNode array) {
        assertThat(array.size()).as("%s", array).isEqualTo(1);
        return array.get(0);
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> items = new ArrayList<>();
        array.forEach(items::add);
        return items;
    }

    private static List<String> digests(List<JsonNode> items) {
        return items.stream().map(item -> item.path("digest").asString()).toList();
    }

    private static long size(RegistryClient.PushedImage image) {
        return image.manifest().length + image.config().length
                + image.layers().stream().mapToLong(layer -> layer.length).sum();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** What a test pushes into one repository, and how many bytes of blobs and manifests that makes. */
    private static final class Content {
        private final String repository;
        private final Map<String, Long> blobs = new LinkedHashMap<>();
        final Map<String, byte[]> manifests = new LinkedHashMap<>();

        Content(String repository) {
            this.repository = repository;
        }

        /** An image with a config that has labels and a command; tagged when {@code tag} is not null. */
        RegistryClient.PushedImage image(String tag, int layerCount) {
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("Labels", Map.of("org.opencontainers.image.title", repository));
            settings.put("Cmd", List.of("/app", "--serve"));
            Map<String, Object> configJson = new LinkedHashMap<>();
            configJson.put("architecture", "amd64");
            configJson.put("os", "linux");
            configJson.put("config", settings);
            configJson.put("rootfs", Map.of("type", "layers", "diff_ids", List.of()));
            configJson.put("nonce", TestContent.sha256(TestContent.randomBytes(16)));
            byte[] config = TestContent.toJson(configJson);
            blob(config);
            List<byte[]> layers = new ArrayList<>();
            List<Map<String, Object>> descriptors = new ArrayList<>();
            for (int i = 0; i < layerCount; i++) {
                byte[] layer = TestContent.randomBytes(2000 + 500 * i);
                blob(layer);
                layers.add(layer);
                descriptors.add(TestContent.descriptor(TestContent.OCI_LAYER, layer));
            }
            byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                    TestContent.descriptor(TestContent.OCI_CONFIG, config), descriptors));
            String digest = manifest(tag, TestContent.OCI_MANIFEST, manifest);
            return new RegistryClient.PushedImage(digest, manifest, config, layers);
        }

        void tag(String tag, RegistryClient.PushedImage image) {
            client.pushManifest(repository, tag, TestContent.OCI_MANIFEST, image.manifest());
        }

        /** An index of the children, each with its platform, under {@code tag}. */
        byte[] index(String tag, List<RegistryClient.PushedImage> children, Map<String, Object> platforms) {
            List<Map<String, Object>> descriptors = new ArrayList<>();
            for (RegistryClient.PushedImage child : children) {
                Map<String, Object> descriptor = new LinkedHashMap<>(child.descriptor());
                descriptor.put("platform", platforms.get(child.digest()));
                descriptors.add(descriptor);
            }
            byte[] index = TestContent.toJson(TestContent.index(TestContent.OCI_INDEX, descriptors));
            manifest(tag, TestContent.OCI_INDEX, index);
            return index;
        }

        /** A referrer of the given type with the empty config and one layer; its digest. */
        String referrer(String subject, byte[] subjectManifest, String artifactType) {
            byte[] payload = TestContent.randomBytes(300);
            blob(payload);
            blob(TestContent.EMPTY_JSON);
            Map<String, Object> manifest = TestContent.ociManifest(
                    TestContent.descriptor(TestContent.OCI_EMPTY, TestContent.EMPTY_JSON),
                    List.of(TestContent.descriptor(artifactType, payload)));
            manifest.put("artifactType", artifactType);
            manifest.put("subject", TestContent.descriptor(TestContent.OCI_MANIFEST, subject,
                    subjectManifest.length));
            byte[] bytes = TestContent.toJson(manifest);
            return manifest(null, TestContent.OCI_MANIFEST, bytes);
        }

        /** The bytes the repository holds: each blob once, and every manifest. */
        long bytes() {
            return blobs.values().stream().mapToLong(Long::longValue).sum()
                    + manifests.values().stream().mapToLong(manifest -> manifest.length).sum();
        }

        private void blob(byte[] content) {
            client.pushBlob(repository, content);
            blobs.put(TestContent.sha256(content), (long) content.length);
        }

        private String manifest(String tag, String mediaType, byte[] manifest) {
            String digest = TestContent.sha256(manifest);
            client.pushManifest(repository, tag == null ? digest : tag, mediaType, manifest);
            manifests.put(digest, manifest);
            return digest;
        }
    }
}
