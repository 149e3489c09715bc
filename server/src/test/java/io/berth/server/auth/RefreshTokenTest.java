package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refresh token {@code docker login} keeps (its {@code identitytoken}) lives 30 days, but only while the user's
 * credential stays the one it was issued for: changing the password in the htpasswd file or removing the user ends
 * it, and the client is told to log in again.
 */
class RefreshTokenTest {
    @TempDir
    Path dir;

    private Path htpasswd;
    private int edits;
    private final String erin = "erin:" + AuthFixture.bcrypt("erin-pw");
    private TestRegistry registry;
    private RegistryClient client;

    @BeforeEach
    void start() throws IOException {
        htpasswd = dir.resolve("htpasswd");
        writeHtpasswd("dave:" + AuthFixture.bcrypt("dave-pw"), erin);
        registry = TestRegistry.start(Backend.SQLITE, config -> config.withAuth(AuthFixture.auth()
                .withHtpasswd(htpasswd)
                .withAccess(List.of(AuthFixture.rule("team/**", "authenticated", "pull", "push")))));
        client = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void aPasswordChangedInTheHtpasswdFileEndsTheRefreshTokensIssuedBefore() {
        String before = login("dave", "dave-pw");
        String erins = login("erin", "erin-pw");
        assertThat(refresh(before).statusCode()).as("refresh before the change").isEqualTo(200);

        writeHtpasswd("dave:" + AuthFixture.bcrypt("new-pw"), erin);
        HttpResponse<byte[]> refused = refresh(before);
        assertError(refused, 401, "UNAUTHORIZED");
        assertThat(message(refused)).contains("password of dave changed").contains("log in again");
        assertThat(refresh(erins).statusCode()).as("another user's refresh").isEqualTo(200);

        String after = login("dave", "new-pw");
        assertThat(refresh(after).statusCode()).as("refresh after logging in again").isEqualTo(200);
    }

    @Test
    void removingTheUserEndsTheirRefreshTokensAndTheAuditLogNamesThem() {
        String refresh = login("dave", "dave-pw");
        writeHtpasswd(erin);
        try (AuditCapture audit = new AuditCapture()) {
            HttpResponse<byte[]> refused = refresh(refresh);
            assertError(refused, 401, "UNAUTHORIZED");
            assertThat(message(refused)).contains("dave no longer exists").contains("log in again");
            assertThat(audit.lines()).singleElement().asString().contains("\"event\":\"login\"",
                    "\"subject\":\"dave\"", "\"method\":\"refresh\"", "\"result\":\"failure\"");
        }
    }

    private String login(String user, String password) {
        HttpResponse<byte[]> response = form("grant_type=password&username=" + user + "&password=" + password
                + "&service=berth&client_id=docker&access_type=offline&scope=repository:team/app:pull");
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        return json(response).get("refresh_token").asString();
    }

    private HttpResponse<byte[]> refresh(String token) {
        return form("grant_type=refresh_token&refresh_token=" + token
                + "&service=berth&client_id=docker&scope=repository:team/app:pull");
    }

    private HttpResponse<byte[]> form(String body) {
        return client.post("/token", body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
    }

    private static String message(HttpResponse<byte[]> response) {
        return json(response).path("errors").get(0).get("message").asString();
    }

    /** Rewrites the file as an administrator would, with a modification time the server cannot mistake. */
    private void writeHtpasswd(String... lines) {
        try {
            Files.writeString(htpasswd, String.join("\n", lines) + "\n");
            Files.setLastModifiedTime(htpasswd, FileTime.from(Instant.now().plusSeconds(++edits)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
