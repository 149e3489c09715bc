package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.registry.metadata.Robot;
import io.berth.registry.metadata.SqlMetadataStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RobotTokensTest {
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    @TempDir
    Path dir;
    private SqlMetadataStore store;
    private RobotTokens tokens;

    @BeforeEach
    void open() {
        store = SqlMetadataStore.open("jdbc:sqlite:" + dir.resolve("metadata.db"), null, null);
        tokens = at(NOW);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private RobotTokens at(Instant instant) {
        return new RobotTokens(store, Clock.fixed(instant, ZoneOffset.UTC));
    }

    private RobotTokens.Created ci() {
        return tokens.create("ci", List.of("team/*"), List.of("pull", "push"), null);
    }

    @Test
    void aCreatedTokenLogsInAsItsRobot() {
        RobotTokens.Created created = tokens.create("ci", List.of("team/*", "shared/**"), List.of("push", "pull"),
                Duration.ofDays(30));

        assertThat(created.username()).isEqualTo("robot$ci");
        assertThat(created.token()).matches("berth_rt_[A-Za-z0-9_-]{43}");
        assertThat(created.robot()).isEqualTo(new Robot("ci", created.robot().tokenHash(),
                List.of("team/*", "shared/**"), List.of("pull", "push"), NOW, NOW.plus(Duration.ofDays(30))));
        assertThat(tokens.authenticate("robot$ci", created.token())).contains(created.robot());
        assertThat(tokens.list()).containsExactly(created.robot());
    }

    @Test
    void everyTokenIsDifferent() {
        RobotTokens.Created first = ci();
        RobotTokens.Created second = tokens.create("deploy", List.of("**"), List.of("pull"), null);
        assertThat(first.token()).isNotEqualTo(second.token());
        assertThat(tokens.authenticate("robot$deploy", second.token())).map(Robot::name).contains("deploy");
    }

    @Test
    void onlyTheRightTokenWithTheRightUsernameLogsIn() {
        RobotTokens.Created ci = ci();
        RobotTokens.Created other = tokens.create("other", List.of("**"), List.of("pull"), null);
        String token = ci.token();
        String tampered = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");

        assertThat(tokens.authenticate("robot$ci", tampered)).isEmpty();
        assertThat(tokens.authenticate("robot$ci", other.token())).isEmpty();
        assertThat(tokens.authenticate("robot$other", token)).isEmpty();
        assertThat(tokens.authenticate("ci", token)).isEmpty();
        assertThat(tokens.authenticate("robot$CI", token)).isEmpty();
        assertThat(tokens.authenticate("robot$ci", "")).isEmpty();
        assertThat(tokens.authenticate("robot$ci", null)).isEmpty();
        assertThat(tokens.authenticate(null, token)).isEmpty();
        // what the database keeps is not a password
        assertThat(tokens.authenticate("robot$ci", ci.robot().tokenHash())).isEmpty();
    }

    @Test
    void aTokenStopsWorkingWhenItExpires() {
        RobotTokens.Created created = tokens.create("ci", List.of("**"), List.of("pull"), Duration.ofHours(1));

        assertThat(at(NOW.plus(Duration.ofMinutes(59))).authenticate("robot$ci", created.token())).isPresent();
        assertThat(at(NOW.plus(Duration.ofHours(1))).authenticate("robot$ci", created.token())).isEmpty();
        assertThat(at(NOW.plus(Duration.ofDays(400))).list()).hasSize(1); // still listed, to be seen and revoked
    }

    @Test
    void aTokenWithoutExpiryKeepsWorking() {
        RobotTokens.Created created = ci();
        assertThat(created.robot().expiresAt()).isNull();
        assertThat(at(NOW.plus(Duration.ofDays(3650))).authenticate("robot$ci", created.token())).isPresent();
    }

    @Test
    void aRevokedTokenStopsWorking() {
        RobotTokens.Created created = ci();

        assertThat(tokens.revoke("ci")).isTrue();
        assertThat(tokens.authenticate("robot$ci", created.token())).isEmpty();
        assertThat(tokens.list()).isEmpty();
        assertThat(tokens.revoke("ci")).isFalse();
    }

    @Test
    void onlyTheTokensHashIsStored() throws Exception {
        RobotTokens.Created created = ci();

        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(created.token().getBytes(StandardCharsets.UTF_8)));
        assertThat(store.robots()).extracting(Robot::tokenHash).containsExactly(sha256);
        String secret = created.token().substring("berth_rt_".length());
        try (Stream<Path> files = Files.list(dir)) { // metadata.db and its write-ahead log
            for (Path file : files.toList()) {
                assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).doesNotContain(secret);
            }
        }
        assertThat(created.toString()).doesNotContain(secret);
    }

    @Test
    void aNameIsTakenOnce() {
        ci();
        assertThatThrownBy(() -> tokens.create("ci", List.of("**"), List.of("admin"), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("robot 'ci' exists already");
    }

    @Test
    void actionsAreCheckedAndKeptInTheirUsualOrder() {
        assertThat(tokens.create("a", List.of("**"), List.of("admin", " pull", "delete", "pull"), null)
                .robot().actions()).containsExactly("pull", "delete", "admin");
        assertThatThrownBy(() -> tokens.create("b", List.of("**"), List.of("pull", "write"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown action 'write' (use pull, push, delete, admin)");
        assertThatThrownBy(() -> tokens.create("b", List.of("**"), List.of(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a robot needs at least one action (pull, push, delete, admin)");
    }

    @Test
    void repositoryPatternsAreRequiredAndNotBlank() {
        assertThatThrownBy(() -> tokens.create("b", List.of(), List.of("pull"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a robot needs at least one repository pattern (e.g. team/* or **)");
        assertThatThrownBy(() -> tokens.create("b", List.of("team/*", " "), List.of("pull"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a repository pattern must not be blank");
        assertThatThrownBy(() -> tokens.create("b", List.of("team /*"), List.of("pull"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("repository pattern 'team /*' contains whitespace");
        assertThat(tokens.list()).isEmpty();
    }

    @Test
    void namesFollowTheRepositoryComponentGrammar() {
        for (String good : List.of("ci", "ci-2", "deploy.prod", "a_b", "x".repeat(64))) {
            assertThat(tokens.create(good, List.of("**"), List.of("pull"), null).username())
                    .isEqualTo("robot$" + good);
        }
        for (String bad : List.of("CI", "-ci", "ci-", "a..b", "a/b", "robot$ci", "ci bot")) {
            assertThatThrownBy(() -> tokens.create(bad, List.of("**"), List.of("pull"), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid robot name '" + bad
                            + "': use lowercase letters and digits, separated by single '.', '_' or '-'");
        }
        assertThatThrownBy(() -> tokens.create("x".repeat(65), List.of("**"), List.of("pull"), null))
                .hasMessageContaining("longer than 64 characters");
        assertThatThrownBy(() -> tokens.create("", List.of("**"), List.of("pull"), null))
                .hasMessage("a robot needs a name");
    }

    @Test
    void anExpiryMustLieAhead() {
        assertThatThrownBy(() -> tokens.create("ci", List.of("**"), List.of("pull"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expiry must be positive, got PT0S");
        assertThatThrownBy(() -> tokens.create("ci", List.of("**"), List.of("pull"), Duration.ofDays(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
        assertThatThrownBy(() -> tokens.create("ci", List.of("**"), List.of("pull"), forever))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too far in the future");
    }
}
