package io.berth.registry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.registry.events.EndpointCursor;
import io.berth.registry.events.EventLog;
import io.berth.registry.events.EventType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A notification endpoint's cursor in the outbox on SQLite, the default database. */
class SqliteEventCursorTest {
    @TempDir
    Path dir;
    private SqlMetadataStore store;

    @BeforeEach
    void open() {
        store = SqlMetadataStore.open("jdbc:sqlite:" + dir.resolve("metadata.db"), null, null);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void createRepository(String name) {
        Digest digest = Digest.sha256(name.getBytes(StandardCharsets.UTF_8));
        store.completeUpload("upload-" + name, name, digest, 1, () -> { }, RepositoryLimit.NONE);
    }

    @Test
    void aNewEndpointStartsAtTheLatestEventAndRegisteringItAgainKeepsItsPlace() {
        EventLog events = store.events();
        createRepository("team/before");
        long latest = events.latest();
        assertThat(latest).isPositive();

        events.register("hook"); // a server starting with the endpoint configured: refused by SQLite's parser once
        createRepository("team/after");
        events.register("hook"); // the next start

        assertThat(events.cursor("hook")).map(EndpointCursor::position).hasValue(latest);
        assertThat(events.after(latest, 10)).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo(EventType.REPOSITORY_CREATED);
            assertThat(event.repository()).isEqualTo("team/after");
        });
    }
}
