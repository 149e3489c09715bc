package io.berth.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.registry.events.EventLog;
import io.berth.registry.metadata.RepositoryLimit;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.registry.metadata.Upload;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events older than the retention go once every endpoint has had them, also the endpoints other servers on the
 * database deliver to; those an endpoint has not yet taken stay for it, and the endpoint is reported as behind.
 */
class OutboxRetentionTest {
    @TempDir
    Path dir;

    @Test
    void eventsAreKeptForAnEndpointLeftBehindAndPrunedOnceItHasThem() {
        try (SqlMetadataStore store = SqlMetadataStore.open("jdbc:sqlite:" + dir.resolve("metadata.db"), null,
                null)) {
            EventLog log = store.events();
            for (int i = 0; i < 5; i++) {
                createRepository(store, "repo" + i); // one io.berth.repository.created each
            }
            Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(8)), ZoneOffset.UTC);
            Notifier notifier = new Notifier(log, new NotificationsConfig(List.of(endpoint("ahead"),
                    endpoint("behind")), Duration.ofDays(7), "/berth", false), later);
            log.register("ahead");
            log.register("behind");
            // Registered now, both start at the latest event: rewound, as if they had taken none of these.
            log.rewind("ahead", 0);
            log.rewind("behind", 2);
            Instant now = Instant.now();
            assertThat(log.lease("ahead", "test", now.plusSeconds(10), now)).hasValue(0);
            assertThat(log.advance("ahead", "test", 0, 5, now.plusSeconds(10), now)).isTrue();

            // An endpoint of another server on the same database, delivered to within the retention, counts too.
            log.register("elsewhere");
            log.rewind("elsewhere", 1);
            assertThat(log.lease("elsewhere", "other", now.plus(Duration.ofDays(2)), now)).hasValue(1);
            assertThat(notifier.prune()).as("only what the other server's endpoint has had").isEqualTo(1);
            log.rewind("elsewhere", 5);

            assertThat(notifier.prune()).as("only what the endpoint behind has had").isEqualTo(1);
            assertThat(log.after(0, 10)).extracting(event -> event.id()).containsExactly(3L, 4L, 5L);
            assertThat(notifier.status()).filteredOn(status -> status.endpoint().name().equals("behind"))
                    .singleElement().satisfies(status -> {
                        assertThat(status.behind()).isTrue();
                        assertThat(status.latest() - status.cursor().position()).isEqualTo(3);
                    });
            assertThat(notifier.status()).filteredOn(status -> status.endpoint().name().equals("ahead"))
                    .singleElement().satisfies(status -> assertThat(status.behind()).isFalse());

            log.rewind("behind", 5);
            assertThat(notifier.prune()).isEqualTo(3);
            assertThat(log.after(0, 10)).isEmpty();
            createRepository(store, "after");
            assertThat(log.after(0, 10)).extracting(event -> event.id()).as("positions are never reused")
                    .containsExactly(6L);
        }
    }

    private static void createRepository(SqlMetadataStore store, String repository) {
        byte[] bytes = repository.getBytes(StandardCharsets.UTF_8);
        String id = "upload-" + repository;
        store.createUpload(new Upload(id, repository, bytes.length, 0, 0));
        store.completeUpload(id, repository, Digest.sha256(bytes), bytes.length, () -> { }, RepositoryLimit.NONE);
    }

    private static Endpoint endpoint(String name) {
        return new Endpoint(name, URI.create("http://127.0.0.1:9/" + name), EventFormat.CLOUDEVENTS, Set.of(),
                List.of(), Set.of(), Set.of(), Map.of(), null, Duration.ofSeconds(1), 1);
    }
}
