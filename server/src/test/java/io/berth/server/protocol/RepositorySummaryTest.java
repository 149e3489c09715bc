package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.RepositorySummaries;
import io.berth.server.testing.RepositorySummaries.Counts;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A repository's summary is kept on its row by every write, and stays what its rows say: through re-pushes, tag
 * moves, indexes whose children stop and start being images, referrers, blob links and unlinks, deletions of
 * manifests, tags and the repository, and pushes that race each other. So do the blobs kept per namespace.
 */
class RepositorySummaryTest extends PerBackendRegistryTest {

    @AfterEach
    void everySummaryMatchesItsRows() {
        RepositorySummaries.assertExact(url());
    }

    @Test
    void theSummaryFollowsEveryKindOfWrite() {
        // in namespaces, whose blobs are kept too: team/ and team/app/
        String team = TestContent.uniqueRepository("summary");
        String repository = team + "/app/web";
        RegistryClient.PushedImage first = client.pushImage(repository, "v1", 2);
        assertThat(counts(repository).images()).isEqualTo(1);

        client.pushManifest(repository, "v1", TestContent.OCI_MANIFEST, first.manifest());
        client.pushManifest(repository, first.digest(), TestContent.OCI_MANIFEST, first.manifest());
        assertThat(counts(repository)).isEqualTo(new Counts(bytes(first), 1, 1, 0));

        RegistryClient.PushedImage second = client.pushImage(repository, "v2", 1);
        client.pushManifest(repository, "v1", TestContent.OCI_MANIFEST, second.manifest()); // moves v1
        assertThat(counts(repository)).isEqualTo(new Counts(bytes(first) + bytes(second), 2, 2, 0));

        byte[] loose = TestContent.randomBytes(777);
        String looseDigest = client.pushBlob(repository, loose);
        client.pushBlob(repository, loose); // linked already
        assertThat(counts(repository).bytes()).isEqualTo(bytes(first) + bytes(second) + loose.length);

        RegistryClient.PushedImage amd = pushUntagged(repository);
        RegistryClient.PushedImage arm = pushUntagged(repository);
        byte[] both = index(repository, "multi", List.of(amd, arm));
        assertThat(counts(repository).images()).as("first, second, the index").isEqualTo(3);
        byte[] armOnly = index(repository, null, List.of(arm));
        assertThat(counts(repository).images()).as("and the second index").isEqualTo(4);

        client.delete("/v2/" + repository + "/manifests/" + TestContent.sha256(both));
        assertThat(counts(repository).images()).as("amd is an image again; arm is still a child").isEqualTo(4);
        client.delete("/v2/" + repository + "/manifests/" + TestContent.sha256(armOnly));
        assertThat(counts(repository).images()).as("first, second, amd, arm").isEqualTo(4);

        client.pushSignature(repository, first);
        client.pushSignature(repository, first);
        assertThat(counts(repository).referrers()).isEqualTo(2);

        client.delete("/api/v1/repositories/" + repository + "/-/tags/v2");
        assertThat(counts(repository).tags()).isEqualTo(1);
        client.delete("/v2/" + repository + "/manifests/" + first.digest());
        assertThat(counts(repository).images()).isEqualTo(3);
        assertThat(counts(repository).referrers()).as("their subject gone, they wait for the collector").isEqualTo(2);

        assertThat(client.delete("/v2/" + repository + "/blobs/" + looseDigest).statusCode()).isEqualTo(202);
        String other = team + "/other";
        HttpResponse<byte[]> mounted = client.post("/v2/" + other + "/blobs/uploads/?mount="
                + TestContent.sha256(second.layers().get(0)) + "&from=" + repository, new byte[0]);
        assertThat(mounted.statusCode()).isEqualTo(201);
        assertThat(counts(other)).isEqualTo(new Counts(second.layers().get(0).length, 0, 0, 0));

        assertThat(client.delete("/api/v1/repositories/" + repository).statusCode()).isEqualTo(204);
        assertThat(RepositorySummaries.assertExact(url())).doesNotContainKey(repository);
    }

    @Test
    void pullsAreKeptAsTheRepositorysLastPull() {
        String repository = TestContent.uniqueRepository("summary");
        RegistryClient.PushedImage image = client.pushImage(repository, "v1");
        client.get("/v2/" + repository + "/manifests/v1");
        client.get("/admin/lifecycle/preview"); // which writes the pull times noted so far first
        assertThat(json(client.get("/api/v1/repositories/" + repository)).path("lastPulledAt").asString())
                .isNotEmpty();
        client.delete("/v2/" + repository + "/manifests/" + image.digest());
        assertThat(json(client.get("/api/v1/repositories/" + repository)).path("lastPulledAt").asString())
                .as("a pull stays the last, also when its manifest goes").isNotEmpty();
    }

    @Test
    void racingPushesTagsAndDeletesKeepTheSummaryExact() throws Exception {
        String repository = TestContent.uniqueRepository("summary") + "/racing";
        byte[] shared = TestContent.randomBytes(4096);
        int writers = 8;
        int rounds = 6;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    for (int round = 0; round < rounds; round++) {
                        client.pushBlob(repository, shared); // the same link, from every writer at once
                        RegistryClient.PushedImage image = client.pushImage(repository, "w" + writer + "-" + round);
                        client.pushManifest(repository, "latest", TestContent.OCI_MANIFEST, image.manifest());
                        client.pushManifest(repository, "round-" + round, TestContent.OCI_MANIFEST,
                                image.manifest());
                        RegistryClient.PushedImage child = pushUntagged(repository);
                        index(repository, "index-" + (round % 2), List.of(child, image));
                        if (round % 3 == 2) {
                            client.delete("/v2/" + repository + "/manifests/" + image.digest());
                        }
                        if (round % 2 == 1) {
                            client.pushSignature(repository, child);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Counts counts = counts(repository);
        assertThat(counts.tags()).isPositive();
        assertThat(counts.bytes()).isPositive();
    }

    @Test
    void theMigrationFindsTheNamespacesBlobsFromTheLinks() throws Exception {
        try (TestRegistry own = setup.start()) {
            RegistryClient ownClient = new RegistryClient(own.url());
            String team = TestContent.uniqueRepository("migrated");
            RegistryClient.PushedImage image = ownClient.pushImage(team + "/app/web", "v1", 2);
            for (byte[] layer : image.layers()) {
                ownClient.pushBlob(team + "/app/api", layer); // shared within team/ and team/app/
            }
            ownClient.pushImage(team + "/db", "v1", 1);
            ownClient.pushImage("top-" + team, "v1", 1); // only in the registry's
            String url = own.config().effectiveMetadataUrl();
            Map<String, List<Long>> kept = RepositorySummaries.namespaceBlobs(url);
            // team/app/: web's 3 blobs, api's among them; team/: those and db's 2; the registry: those and top's 2
            assertThat(kept).hasSize(3 + 5 + 7);

            // a database of the version before: no such table, and the migration not applied
            try (Connection c = DriverManager.getConnection(url); Statement statement = c.createStatement()) {
                statement.execute("DROP TABLE namespace_blobs");
                statement.execute("DELETE FROM schema_migrations WHERE version = 8");
            }
            own.restart();

            assertThat(RepositorySummaries.namespaceBlobs(url)).isEqualTo(kept);
            RepositorySummaries.assertExact(url);
        }
    }

    // ---- helpers

    private static String url() {
        return registry.config().effectiveMetadataUrl();
    }

    /** The repository's kept counts, after checking that every repository's match its rows. */
    private static Counts counts(String repository) {
        return RepositorySummaries.assertExact(url(), repository);
    }

    private static long bytes(RegistryClient.PushedImage image) {
        return image.manifest().length + image.config().length
                + image.layers().stream().mapToLong(layer -> layer.length).sum();
    }

    private static RegistryClient.PushedImage pushUntagged(String repository) {
        byte[] config = TestContent.imageConfig("arm64");
        client.pushBlob(repository, config);
        byte[] layer = TestContent.randomBytes(1500);
        client.pushBlob(repository, layer);
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, config),
                List.of(TestContent.descriptor(TestContent.OCI_LAYER, layer))));
        String digest = client.pushManifest(repository, TestContent.sha256(manifest), TestContent.OCI_MANIFEST,
                manifest);
        return new RegistryClient.PushedImage(digest, manifest, config, List.of(layer));
    }

    /** An index of the images, under {@code tag} or, when it is null, by digest; its bytes. */
    private static byte[] index(String repository, String tag, List<RegistryClient.PushedImage> children) {
        List<Map<String, Object>> descriptors = new ArrayList<>();
        for (RegistryClient.PushedImage child : children) {
            descriptors.add(child.descriptor());
        }
        byte[] index = TestContent.toJson(TestContent.index(TestContent.OCI_INDEX, descriptors));
        client.pushManifest(repository, tag != null ? tag : TestContent.sha256(index), TestContent.OCI_INDEX, index);
        return index;
    }
}
