package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.AuthConfig;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.AuthFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {
    @TempDir
    Path dir;

    private SqlMetadataStore store;
    private AuditCapture audit;

    @BeforeEach
    void open() {
        store = SqlMetadataStore.open("jdbc:sqlite:" + dir.resolve("metadata.db"), null, null);
        audit = new AuditCapture();
    }

    @AfterEach
    void close() {
        audit.close();
        store.close();
    }

    private Authenticator authenticator(AuthConfig auth, LoginThrottle throttle) {
        Clock clock = Clock.systemUTC();
        return new Authenticator(new PasswordUsers(auth), new RobotTokens(store, clock),
                TokenService.open(dir, auth, clock), throttle, new AuditLog(), clock);
    }

    @Test
    void passwordsAreCheckedAgainstBcryptHashesAndGroupsResolved() throws Exception {
        Authenticator authenticator = authenticator(AuthFixture.auth(), new LoginThrottle());
        Identity alice = authenticator.password("alice", "alice-password", "10.0.0.1", "basic").orElseThrow();
        assertThat(alice.kind()).isEqualTo(Identity.Kind.USER);
        assertThat(alice.groups()).containsExactly("dev");
        assertThat(authenticator.rememberedPassword("alice", "alice-password")).isEqualTo(alice);
        assertThat(authenticator.rememberedPassword("alice", "other")).isNull();
    }

    @Test
    void failedLoginsAreDelayedThenRefusedPerAddress() throws Exception {
        Authenticator authenticator = authenticator(AuthFixture.auth(),
                new LoginThrottle(Duration.ofMinutes(5), Duration.ofMillis(20), Ticker.systemTicker()));
        long started = System.nanoTime();
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            assertThat(authenticator.password("alice", "guess-" + i, "10.0.0.9", "basic")).isEmpty();
        }
        // 20 ms × (1 + 2 + ... + 10): each failure waits longer than the one before
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1100));
        assertThatThrownBy(() -> authenticator.password("alice", "alice-password", "10.0.0.9", "basic"))
                .isInstanceOf(Authenticator.ThrottledException.class);
        // another address is not affected
        assertThat(authenticator.password("alice", "alice-password", "10.0.0.10", "basic")).isPresent();
    }

    @Test
    void theAuditLogHasOneLinePerDecisionAndNoSecrets() throws Exception {
        Authenticator authenticator = authenticator(AuthFixture.auth(), new LoginThrottle());
        authenticator.password("alice", "alice-password", "10.0.0.1", "token");
        authenticator.password("alice", "alice-password", "10.0.0.1", "token"); // remembered: no new decision
        authenticator.password("bob", "Secret-Guess-1", "10.0.0.2", "basic");
        assertThatThrownBy(() -> authenticator.bearer("eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "10.0.0.3"))
                .isInstanceOf(InvalidTokenException.class);
        List<String> lines = audit.lines();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains("\"event\":\"login\"", "\"subject\":\"alice\"", "\"source\":\"10.0.0.1\"",
                "\"result\":\"success\"", "\"method\":\"token\"");
        assertThat(lines.get(1)).contains("\"subject\":\"bob\"", "\"result\":\"failure\"", "bad credentials");
        assertThat(lines.get(2)).contains("\"method\":\"bearer\"", "\"result\":\"failure\"");
        assertThat(String.join("\n", lines)).doesNotContain("alice-password", "Secret-Guess-1", "c2ln");
    }

    @Test
    void htpasswdUsersAreReadAndReloadedWhenTheFileChanges() throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "# users\ndave:" + AuthFixture.bcrypt("dave-pw") + "\n");
        AuthConfig auth = AuthConfig.NONE.withHtpasswd(htpasswd).withGroups(java.util.Map.of("ops", List.of("dave")));
        PasswordUsers users = new PasswordUsers(auth);
        assertThat(users.authenticate("dave", "dave-pw")).hasValueSatisfying(
                dave -> assertThat(dave.groups()).containsExactly("ops"));
        assertThat(users.authenticate("erin", "erin-pw")).isEmpty();

        Files.writeString(htpasswd, "erin:" + AuthFixture.bcrypt("erin-pw") + "\n");
        Files.setLastModifiedTime(htpasswd, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(users.authenticate("erin", "erin-pw")).isPresent();
        assertThat(users.authenticate("dave", "dave-pw")).isEmpty();
    }

    @Test
    void aRefreshTokenCarriesAFingerprintOfTheCredentialAndNeverTheHash() throws Exception {
        AuthConfig auth = AuthFixture.auth();
        Authenticator authenticator = authenticator(auth, new LoginThrottle());
        Identity alice = authenticator.password("alice", "alice-password", "10.0.0.1", "token").orElseThrow();
        String refresh = authenticator.refreshToken(alice, Instant.now()).orElseThrow();
        String hash = auth.users().getFirst().passwordHash();
        String claims = com.nimbusds.jwt.SignedJWT.parse(refresh).getJWTClaimsSet().toString();
        assertThat(claims).contains("berth_credential").doesNotContain(hash.substring(7), hash.substring(29));
        assertThat(authenticator.refresh(refresh, "10.0.0.1")).isEqualTo(alice);

        // one issued without a fingerprint, as before fingerprints existed, cannot be checked: log in again
        String unchecked = authenticator.tokens().issueRefresh(alice, null, Instant.now());
        assertThatThrownBy(() -> authenticator.refresh(unchecked, "10.0.0.1"))
                .isInstanceOf(InvalidTokenException.class).hasMessageContaining("older Berth");
        assertThat(authenticator.refreshToken(Identity.ANONYMOUS, Instant.now())).isEmpty();
    }

    @Test
    void aUiSessionEndsWhenThePasswordChangesAndIsNeitherARefreshNorAnAccessToken() throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "dave:" + AuthFixture.bcrypt("old-pw") + "\n");
        AuthConfig auth = AuthConfig.NONE.withHtpasswd(htpasswd);
        Authenticator authenticator = authenticator(auth, new LoginThrottle());
        Identity dave = authenticator.password("dave", "old-pw", "10.0.0.1", "ui").orElseThrow();
        String session = authenticator.sessionToken(dave, Instant.now()).orElseThrow();
        assertThat(authenticator.session(session, "10.0.0.1")).isEqualTo(dave);
        assertThatThrownBy(() -> authenticator.refresh(session, "10.0.0.1")).isInstanceOf(InvalidTokenException.class);
        assertThatThrownBy(() -> authenticator.tokens().verifyAccess(session))
                .isInstanceOf(InvalidTokenException.class);
        String refresh = authenticator.refreshToken(dave, Instant.now()).orElseThrow();
        assertThatThrownBy(() -> authenticator.session(refresh, "10.0.0.1"))
                .isInstanceOf(InvalidTokenException.class);

        Files.writeString(htpasswd, "dave:" + AuthFixture.bcrypt("new-pw") + "\n");
        Files.setLastModifiedTime(htpasswd, FileTime.from(Instant.now().plusSeconds(5)));
        // a fresh authenticator: the one above remembers the session's check for a few seconds
        Authenticator later = authenticator(auth, new LoginThrottle());
        assertThatThrownBy(() -> later.session(session, "10.0.0.1")).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("the password of dave changed after this login");
        assertThat(authenticator.sessionToken(Identity.ANONYMOUS, Instant.now())).isEmpty();
    }

    @Test
    void anOldPasswordRememberedFromAMomentAgoNoLongerLogsInOnceTheFileChanges() throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "dave:" + AuthFixture.bcrypt("old-pw") + "\n");
        Authenticator authenticator = authenticator(AuthConfig.NONE.withHtpasswd(htpasswd), new LoginThrottle());
        assertThat(authenticator.password("dave", "old-pw", "10.0.0.1", "token")).isPresent();

        Files.writeString(htpasswd, "dave:" + AuthFixture.bcrypt("new-pw") + "\n");
        Files.setLastModifiedTime(htpasswd, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(authenticator.password("dave", "old-pw", "10.0.0.1", "token")).isEmpty();
        assertThat(authenticator.password("dave", "new-pw", "10.0.0.1", "token")).isPresent();
    }

    @Test
    void onlyBcryptHashesAreAccepted() throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "old:$apr1$abc$defghijklmnopqrstuvwx.\n");
        assertThatThrownBy(() -> new PasswordUsers(AuthConfig.NONE.withHtpasswd(htpasswd)))
                .hasMessageContaining("line 1").hasMessageContaining("bcrypt");
        assertThatThrownBy(() -> new PasswordUsers(AuthConfig.NONE.withUsers(List.of(
                new AuthConfig.User("x", "plain-text", List.of())))))
                .hasMessageContaining("user 'x'").hasMessageContaining("bcrypt");
    }
}
