package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The management API asks what the registry API asks: its lists show only what the caller may pull, and its reads
 * and deletions need pull and delete on the repository, from Basic credentials or a bearer token.
 */
class ManagementAccessTest {

    @Test
    void listsShowWhatTheCallerMayPullAndChangesNeedTheDeletePermission() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            RegistryClient anonymous = new RegistryClient(registry.url());
            RegistryClient alice = anonymous.authorized(AuthFixture.basic("alice"));
            RegistryClient bob = anonymous.authorized(AuthFixture.basic("bob"));
            RegistryClient carol = anonymous.authorized(AuthFixture.basic("carol"));
            alice.pushImage("team/app", "v1");
            alice.pushImage("public/tool", "v1");
            carol.pushImage("carol/own", "v1");

            alice.pushImage("team/zeta", "v1");
            assertThat(names(alice)).containsExactly("public/tool", "team/app", "team/zeta");
            assertThat(names(carol)).containsExactly("carol/own", "public/tool");
            // a page at a time, what carol may not see is read past
            for (String sort : List.of("name", "size", "pushed")) {
                assertThat(pagedNames(carol, "/api/v1/repositories?limit=1&sort=" + sort)).as(sort)
                        .containsExactlyInAnyOrder("carol/own", "public/tool");
            }
            assertThat(names(anonymous)).containsExactly("public/tool");
            assertThat(json(anonymous.get("/api/v1/repositories/public/tool/-/images")).path("images").size())
                    .isEqualTo(1);

            // reading another's repository: refused as the registry API refuses a pull
            assertError(carol.get("/api/v1/repositories/team/app"), 403, "DENIED");
            assertError(anonymous.get("/api/v1/repositories/team/app/-/tags"), 401, "UNAUTHORIZED");
            assertThat(RegistryClient.header(anonymous.get("/api/v1/repositories/team/app"), "WWW-Authenticate"))
                    .contains("scope=\"repository:team/app:pull\"");
            // deleting needs delete: bob may pull, not delete
            assertThat(bob.get("/api/v1/repositories/team/app").statusCode()).isEqualTo(200);
            assertError(bob.delete("/api/v1/repositories/team/app/-/tags/v1"), 403, "DENIED");
            assertError(bob.delete("/api/v1/repositories/team/app"), 403, "DENIED");
            assertError(carol.delete("/api/v1/repositories/carol/own"), 403, "DENIED");
            assertThat(bob.get("/v2/team/app/manifests/v1").statusCode()).isEqualTo(200);

            // a bearer token with delete on the repository deletes it
            String token = AuthFixture.token(anonymous, "alice", "repository:team/app:pull,delete");
            RegistryClient bearer = anonymous.authorized("Bearer " + token);
            assertThat(bearer.delete("/api/v1/repositories/team/app").statusCode()).isEqualTo(204);
            assertThat(names(alice)).containsExactly("public/tool", "team/zeta");

            // the document needs no credentials
            assertThat(anonymous.get("/api/v1/openapi.json").statusCode()).isEqualTo(200);
        }
    }

    private static List<String> pagedNames(RegistryClient client, String target) {
        List<String> names = new ArrayList<>();
        String next = null;
        do {
            var response = client.get(target + (next == null ? "" : "&cursor="
                    + URLEncoder.encode(next, StandardCharsets.UTF_8)));
            assertThat(response.statusCode()).as(RegistryClient.body(response)).isEqualTo(200);
            JsonNode page = json(response);
            page.path("repositories").forEach(repository -> names.add(repository.path("name").asString()));
            next = page.path("next").isNull() ? null : page.path("next").asString();
        } while (next != null);
        return names;
    }

    private static List<String> names(RegistryClient client) {
        var response = client.get("/api/v1/repositories");
        assertThat(response.statusCode()).as(RegistryClient.body(response)).isEqualTo(200);
        List<String> names = new ArrayList<>();
        for (JsonNode repository : json(response).path("repositories")) {
            names.add(repository.path("name").asString());
        }
        return names;
    }
}
