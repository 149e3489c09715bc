package io.berth.server.lifecycle;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.bearer;
import static io.berth.server.testing.AuthFixture.rule;
import static io.berth.server.testing.AuthFixture.token;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.AuthConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle admin endpoints need admin on every repository: carol has it, bob only on {@code team/**}, alice
 * may push and delete there but administer nothing.
 */
class LifecycleAuthTest {
    private static final byte[] POLICY = """
            {"rules": [{"rulePriority": 1,
              "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
              "action": {"type": "expire"}}]}""".getBytes(StandardCharsets.UTF_8);

    private static TestRegistry registry;
    private static RegistryClient anonymous;

    @BeforeAll
    static void start() {
        registry = TestRegistry.start(Backend.SQLITE, config -> {
            AuthConfig auth = AuthFixture.auth();
            List<AuthConfig.AccessRule> access = new ArrayList<>(auth.access());
            access.add(rule("**", "user:carol", "admin"));
            access.add(rule("team/**", "user:bob", "admin"));
            return config.withAuth(auth.withAccess(access));
        });
        anonymous = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static List<HttpResponse<byte[]>> everyEndpoint(RegistryClient client) {
        return List.of(client.get("/admin/lifecycle"),
                client.put("/admin/lifecycle?repositories=team/*", POLICY),
                client.delete("/admin/lifecycle?repositories=nothing/*"),
                client.get("/admin/lifecycle/preview"),
                client.post("/admin/lifecycle/apply", new byte[0]));
    }

    @Test
    void anonymousCallersAreChallenged() {
        for (HttpResponse<byte[]> response : everyEndpoint(anonymous)) {
            assertError(response, 401, "UNAUTHORIZED");
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    challenge -> assertThat(challenge).contains("scope=\"registry:admin:*\""));
        }
    }

    @Test
    void usersWithoutAdminOnEveryRepositoryAreDenied() {
        for (String user : List.of("alice", "bob")) {
            for (HttpResponse<byte[]> response : everyEndpoint(anonymous.authorized(basic(user)))) {
                assertError(response, 403, "DENIED");
            }
        }
    }

    /**
     * docs/auth.md: a token without the needed action gets 403 DENIED when its holder may not have it; a challenge
     * would only send the client for another token that cannot have it either.
     */
    @Test
    void tokensOfUsersWithoutAdminOnEveryRepositoryAreDenied() {
        for (String user : List.of("alice", "bob")) {
            RegistryClient holder = anonymous.authorized(bearer(token(anonymous, user, "registry:admin:*")));
            for (HttpResponse<byte[]> response : everyEndpoint(holder)) {
                assertError(response, 403, "DENIED");
            }
        }
    }

    @Test
    void anAdministratorsTokenWithoutTheAdminScopeIsChallengedForIt() {
        String token = token(anonymous, "carol", "repository:team/app:pull");

        HttpResponse<byte[]> response = anonymous.authorized(bearer(token)).get("/admin/lifecycle");

        assertError(response, 401, "UNAUTHORIZED");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge ->
                assertThat(challenge).contains("error=\"insufficient_scope\"", "scope=\"registry:admin:*\""));
    }

    @Test
    void anAdministratorOfEveryRepositoryMayDoItAllAndPolicyChangesAreAudited() {
        try (AuditCapture audit = new AuditCapture()) {
            List<HttpResponse<byte[]>> responses = everyEndpoint(anonymous.authorized(basic("carol")));

            assertThat(responses).extracting(HttpResponse::statusCode).as("%s",
                    responses.stream().map(RegistryClient::body).toList()).containsExactly(200, 200, 404, 200, 200);
            assertThat(audit.lines()).anySatisfy(line -> assertThat(line).contains("\"event\":\"put\"",
                    "\"subject\":\"carol\"", "\"repository\":\"team/*\"", "\"reference\":\"lifecycle-policy\""));
        }
        String token = token(anonymous, "carol", "registry:admin:*");
        HttpResponse<byte[]> withToken = anonymous.authorized(bearer(token)).get("/admin/lifecycle");
        assertThat(withToken.statusCode()).as(body(withToken)).isEqualTo(200);
    }
}
