package io.berth.registry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second process (the {@code berth token} commands) writes to the SQLite file a running server writes to: a
 * writer that finds the database locked waits for the other transaction instead of failing.
 */
class SqliteConcurrentWritersTest {
    @TempDir
    Path dir;
    private String url;
    private SqlMetadataStore store;

    @BeforeEach
    void open() {
        url = "jdbc:sqlite:" + dir.resolve("metadata.db");
        store = SqlMetadataStore.open(url, null, null);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aWriteWaitsForAnotherProcesssTransactionToCommit() throws Exception {
        try (Connection other = lockedByAnotherWriter()) {
            CompletableFuture<Void> create = CompletableFuture.runAsync(() -> store.createRobot(
                    new Robot("ci", "hash-ci", List.of("**"), List.of("pull"), Instant.EPOCH, null)));
            Thread.sleep(500);
            assertThat(create).isNotDone();
            other.commit();
            create.get(10, TimeUnit.SECONDS);
            assertThat(store.robots()).extracting(Robot::name).containsExactly("ci", "other");
        }
    }

    @Test
    void aWriteThatReadsFirstAlsoWaits() throws Exception {
        // completeUpload reads before it writes: in WAL mode such a transaction fails outright if another connection
        // committed after its read began, unless it takes the write lock when it begins.
        Digest digest = Digest.sha256("x".getBytes(StandardCharsets.UTF_8));
        try (Connection other = lockedByAnotherWriter()) {
            CompletableFuture<Void> link = CompletableFuture.runAsync(() -> store.completeUpload("u1", "repo", digest, 1, () -> { },
                    RepositoryLimit.NONE));
            Thread.sleep(500);
            assertThat(link).isNotDone();
            other.commit();
            link.get(10, TimeUnit.SECONDS);
            assertThat(store.linkedBlobSize("repo", digest)).hasValue(1);
        }
    }

    /** A connection, as of another process, in the middle of a write transaction. */
    private Connection lockedByAnotherWriter() throws Exception {
        Connection other = DriverManager.getConnection(url);
        other.setAutoCommit(false);
        try (Statement statement = other.createStatement()) {
            statement.execute("INSERT INTO robots (name, token_hash, repositories, actions, created_at) "
                    + "VALUES ('other', 'hash-other', '[\"**\"]', '[\"pull\"]', 0)");
        }
        return other;
    }
}
