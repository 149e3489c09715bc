package io.berth.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A repository deleted while clients push into it: each push either lands (in the repository as it is created again)
 * or is refused with the spec's error for what the deletion took away, never a 500; and what is left is consistent.
 */
class RepositoryDeleteRaceTest {
    private static final String REPOSITORY = "race/app";

    @ParameterizedTest(name = "{0}")
    @EnumSource(Setup.class)
    void pushesRacingARepositorysDeletionNeverFailWithAServerError(Setup setup) throws Exception {
        try (TestRegistry registry = setup.start()) {
            RegistryClient client = new RegistryClient(registry.url());
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            AtomicBoolean pushing = new AtomicBoolean(true);
            try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
                List<Future<?>> pushers = List.of(0, 1, 2).stream().<Future<?>>map(n -> threads.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        byte[] config = TestContent.imageConfig("amd64");
                        byte[] layer = TestContent.randomBytes(512);
                        record(statuses, client.post("/v2/" + REPOSITORY + "/blobs/uploads/?digest="
                                + TestContent.sha256(config), config, "Content-Type", "application/octet-stream"));
                        record(statuses, client.post("/v2/" + REPOSITORY + "/blobs/uploads/?digest="
                                + TestContent.sha256(layer), layer, "Content-Type", "application/octet-stream"));
                        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                                TestContent.descriptor(TestContent.OCI_CONFIG, config),
                                List.of(TestContent.descriptor(TestContent.OCI_LAYER, layer))));
                        record(statuses, client.putManifest(REPOSITORY, "t" + n + "-" + i, TestContent.OCI_MANIFEST,
                                manifest));
                    }
                    return null;
                })).toList();
                Future<?> deleter = threads.submit(() -> {
                    while (pushing.get()) {
                        record(statuses, client.delete("/api/v1/repositories/" + REPOSITORY));
                    }
                    return null;
                });
                for (Future<?> pusher : pushers) {
                    pusher.get();
                }
                pushing.set(false);
                deleter.get();
            }
            assertThat(statuses.keySet()).as("statuses seen: %s", statuses).doesNotContain(500)
                    .allMatch(status -> status < 500);
            assertThat(statuses).containsKey(201);
            // what is left answers consistently: every tag listed resolves
            HttpResponse<byte[]> tags = client.get("/v2/" + REPOSITORY + "/tags/list");
            if (tags.statusCode() == 200) {
                for (var tag : RegistryClient.json(tags).path("tags")) {
                    assertThat(client.get("/v2/" + REPOSITORY + "/manifests/" + tag.asString(), "Accept",
                            TestContent.OCI_MANIFEST).statusCode()).isEqualTo(200);
                }
            }
        }
    }

    private static void record(Map<Integer, Integer> statuses, HttpResponse<byte[]> response) {
        statuses.merge(response.statusCode(), 1, Integer::sum);
    }
}
