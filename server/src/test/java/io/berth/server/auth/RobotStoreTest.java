package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.registry.metadata.Robot;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Robot accounts in the metadata store, on each backend. */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class RobotStoreTest {
    private static final Instant CREATED = Instant.parse("2025-03-01T10:15:30.123Z");

    @Parameter
    Backend backend;
    @TempDir
    Path dir;
    private TestDatabase database;
    private SqlMetadataStore store;

    @BeforeEach
    void open() {
        if (backend == Backend.POSTGRES) {
            database = TestDatabase.create();
            store = SqlMetadataStore.open(database.url(), null, null);
        } else {
            store = SqlMetadataStore.open("jdbc:sqlite:" + dir.resolve("metadata.db"), null, null);
        }
    }

    @AfterEach
    void close() {
        if (store != null) { // null when the test was skipped for want of PostgreSQL
            store.close();
        }
        if (database != null) {
            database.close();
        }
    }

    private static Robot robot(String name, Instant expiresAt) {
        return new Robot(name, "hash-of-" + name, List.of("team/*", "shared/base"), List.of("pull", "push"),
                CREATED, expiresAt);
    }

    @Test
    void aRobotIsFoundByItsTokenHashWithEveryField() {
        Robot expiring = robot("ci", CREATED.plusSeconds(3600));
        Robot forever = robot("deploy", null);
        store.createRobot(expiring);
        store.createRobot(forever);

        assertThat(store.robotByTokenHash("hash-of-ci")).contains(expiring);
        assertThat(store.robotByTokenHash("hash-of-deploy")).contains(forever);
        assertThat(store.robotByTokenHash("hash-of-nobody")).isEmpty();
    }

    @Test
    void aSecondRobotOfTheSameNameIsRefusedAndTheFirstKept() {
        store.createRobot(robot("ci", null));
        Robot again = new Robot("ci", "another-hash", List.of("**"), List.of("admin"), CREATED, null);

        assertThatThrownBy(() -> store.createRobot(again))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("robot 'ci' exists already");
        assertThat(store.robots()).containsExactly(robot("ci", null));
        assertThat(store.robotByTokenHash("another-hash")).isEmpty();
    }

    @Test
    void robotsAreListedByName() {
        store.createRobot(robot("web", null));
        store.createRobot(robot("ci", null));
        store.createRobot(robot("deploy.prod", null));

        assertThat(store.robots()).extracting(Robot::name).containsExactly("ci", "deploy.prod", "web");
    }

    @Test
    void aDeletedRobotIsGoneAndItsNameFreeAgain() {
        store.createRobot(robot("ci", null));

        assertThat(store.deleteRobot("ci")).isTrue();
        assertThat(store.deleteRobot("ci")).isFalse();
        assertThat(store.robotByTokenHash("hash-of-ci")).isEmpty();
        assertThat(store.robots()).isEmpty();
        store.createRobot(robot("ci", null));
        assertThat(store.robots()).hasSize(1);
    }
}
