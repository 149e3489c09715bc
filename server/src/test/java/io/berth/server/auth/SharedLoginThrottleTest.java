package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.testing.AuthFixture.basic;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.MutableClock;
import io.berth.server.testing.TestDatabase;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes that share a PostgreSQL database share the login throttle: guesses sent to any node count on all of them, with
 * the semantics of the throttle of one node (a credential counts once, the lockout lasts a window from the last
 * counted failure).
 */
class SharedLoginThrottleTest {
    private static final Duration WINDOW = Duration.ofMinutes(5);

    private TestDatabase database;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final MutableClock clock = new MutableClock();

    @BeforeEach
    void createDatabase() {
        database = TestDatabase.create();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
        database.close();
    }

    /** A node's throttle: its own connection pool on the shared database, no delays. */
    private LoginThrottle node() {
        SqlMetadataStore store = SqlMetadataStore.open(database.url(), null, null);
        open.add(store);
        return LoginThrottle.shared(store.loginFailures(), WINDOW, Duration.ZERO, clock);
    }

    @Test
    void failuresSentToEitherNodeLockTheAddressOutOnBoth() {
        LoginThrottle a = node();
        LoginThrottle b = node();
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            assertThat(a.blockedFor("10.0.0.1")).isEmpty();
            assertThat(b.blockedFor("10.0.0.1")).isEmpty();
            (i % 2 == 0 ? a : b).failed("10.0.0.1", "credential-" + i);
        }
        assertThat(a.blockedFor("10.0.0.1")).hasValueSatisfying(left -> assertThat(left).isBetween(
                WINDOW.minusSeconds(5), WINDOW));
        assertThat(b.blockedFor("10.0.0.1")).isEqualTo(a.blockedFor("10.0.0.1"));
        assertThat(b.blockedFor("10.0.0.2")).isEmpty();

        clock.advance(WINDOW.plusSeconds(1));
        assertThat(a.blockedFor("10.0.0.1")).isEmpty();
        assertThat(b.blockedFor("10.0.0.1")).isEmpty();
        // After the window the count starts over: one failure is one, not eleven.
        b.failed("10.0.0.1", "credential-0");
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void aCredentialCountedOnOneNodeIsNotCountedAgainOnTheOther() {
        LoginThrottle a = node();
        LoginThrottle b = node();
        for (int i = 0; i < 3 * LoginThrottle.LIMIT; i++) {
            (i % 2 == 0 ? a : b).failed("10.0.0.1", "the-same-typo");
        }
        assertThat(b.blockedFor("10.0.0.1")).isEmpty();
        for (int i = 1; i < LoginThrottle.LIMIT; i++) {
            a.failed("10.0.0.1", "credential-" + i);
        }
        assertThat(b.blockedFor("10.0.0.1")).isPresent();
        assertThat(rows()).as("at most LIMIT rows per address").isEqualTo(LoginThrottle.LIMIT);
    }

    @Test
    void aRepeatedFailureDoesNotRestartTheWindow() {
        LoginThrottle a = node();
        LoginThrottle b = node();
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            a.failed("10.0.0.1", "credential-" + i);
        }
        clock.advance(Duration.ofMinutes(4));
        b.failed("10.0.0.1", "credential-3");
        b.failed("10.0.0.1", "one-more");
        assertThat(a.blockedFor("10.0.0.1")).hasValueSatisfying(left -> assertThat(left).isLessThanOrEqualTo(
                Duration.ofMinutes(1)));
    }

    @Test
    void theFailuresOfAddressesWhoseWindowPassedAreDeleted() {
        LoginThrottle a = node();
        for (int i = 0; i < 50; i++) {
            a.failed("10.0.1." + i, "credential");
        }
        assertThat(rows()).isEqualTo(50);
        clock.advance(WINDOW.plusSeconds(1));
        a.failed("10.0.0.1", "credential");
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void guessesSentThroughTwoServersLockTheClientOutOfBoth() {
        TestRegistry nodeA = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withMetadata(database.url(), null, null));
        open.add(nodeA);
        TestRegistry nodeB = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withMetadata(database.url(), null, null));
        open.add(nodeB);
        RegistryClient a = new RegistryClient(nodeA.url(), RegistryClient.newHttpClient());
        RegistryClient b = new RegistryClient(nodeB.url(), RegistryClient.newHttpClient());

        // Half the guesses to each node, at once (each answer is held back a little longer than the one before).
        List<CompletableFuture<Integer>> guesses = new ArrayList<>();
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            RegistryClient node = i % 2 == 0 ? a : b;
            String password = "guess-" + i;
            guesses.add(CompletableFuture.supplyAsync(() -> node.get("/token?service=berth", "Authorization",
                    basic("alice", password)).statusCode()));
        }
        assertThat(guesses.stream().map(CompletableFuture::join).toList()).containsOnly(401);

        for (RegistryClient node : List.of(a, b)) {
            HttpResponse<byte[]> refused = node.get("/token?service=berth", "Authorization", basic("alice"));
            assertError(refused, 429, "TOOMANYREQUESTS");
            assertThat(Long.parseLong(RegistryClient.header(refused, "Retry-After")))
                    .isBetween(LoginThrottle.WINDOW.toSeconds() - 30, LoginThrottle.WINDOW.toSeconds());
        }
    }

    private int rows() {
        try (Connection c = DriverManager.getConnection(database.url());
             Statement statement = c.createStatement();
             ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM login_failures")) {
            rs.next();
            return rs.getInt(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
