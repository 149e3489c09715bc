package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.testing.AuthFixture.basic;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failed logins as docker and containerd show them: they print an error's code and message, never its detail, so
 * the message says what went wrong; containerd sends one login as {@code POST /token} and then {@code GET /token},
 * which is one mistake, not two guesses.
 */
class FailedLoginTest {
    private TestRegistry registry;
    private RegistryClient client;

    @BeforeEach
    void start() {
        registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured);
        client = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void aWrongPasswordIsNamedInTheMessageClientsPrint() {
        for (HttpResponse<byte[]> refused : java.util.List.of(post("alice", "wrong"), get("alice", "wrong"),
                client.authorized(basic("alice", "wrong")).get("/v2/"))) {
            assertError(refused, 401, "UNAUTHORIZED");
            assertThat(message(refused)).isEqualTo("incorrect username or password");
        }
    }

    @Test
    void oneMistypedPasswordCountsAsOneFailureHoweverOftenItIsSent() {
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            assertThat(post("alice", "mistyped").statusCode()).isEqualTo(401);
            assertThat(get("alice", "mistyped").statusCode()).isEqualTo(401);
        }
        assertThat(post("alice", AuthFixture.password("alice")).statusCode()).isEqualTo(200);
        assertThat(get("bob", AuthFixture.password("bob")).statusCode()).isEqualTo(200);
    }

    @Test
    void aLockedOutAddressIsToldWhyAndRetryAfterIsTheTimeLeft() {
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            assertThat(post("alice", "guess-" + i).statusCode()).isEqualTo(401);
        }
        for (HttpResponse<byte[]> refused : java.util.List.of(post("alice", AuthFixture.password("alice")),
                client.authorized(basic("bob")).get("/v2/"))) {
            assertError(refused, 429, "TOOMANYREQUESTS");
            long retryAfter = Long.parseLong(RegistryClient.header(refused, "Retry-After"));
            assertThat(retryAfter).isBetween(LoginThrottle.WINDOW.toSeconds() - 30, LoginThrottle.WINDOW.toSeconds());
            assertThat(message(refused)).isEqualTo("too many failed logins from 127.0.0.1; retry in " + retryAfter
                    + " seconds");
        }
    }

    private HttpResponse<byte[]> post(String user, String password) {
        return client.post("/token", ("grant_type=password&username=" + user + "&password=" + password
                        + "&service=berth&client_id=containerd&scope=repository:team/app:pull")
                        .getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
    }

    private HttpResponse<byte[]> get(String user, String password) {
        return client.get("/token?service=berth&scope=repository:team/app:pull", "Authorization",
                basic(user, password));
    }

    private static String message(HttpResponse<byte[]> response) {
        return json(response).path("errors").get(0).get("message").asString();
    }
}
