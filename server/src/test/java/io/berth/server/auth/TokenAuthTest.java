package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.bearer;
import static io.berth.server.testing.AuthFixture.challenge;
import static io.berth.server.testing.AuthFixture.token;
import static io.berth.server.testing.AuthFixture.tokenResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Distribution's token flow end to end against a real server: challenges, the token endpoint, scope checks. */
class TokenAuthTest {
    static TestRegistry registry;
    static RegistryClient anonymous;

    @BeforeAll
    static void start() {
        registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured);
        anonymous = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
        anonymous.authorized(basic("alice")).pushImage("team/app", "v1");
        anonymous.authorized(basic("alice")).pushImage("team/other", "v1");
        anonymous.authorized(basic("alice")).pushImage("public/base", "v1");
        anonymous.authorized(basic("carol")).pushImage("carol/tool", "v1");
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void theBaseEndpointChallengesAnonymousCallersWithTheTokenRealm() {
        HttpResponse<byte[]> response = anonymous.get("/v2/");
        assertError(response, 401, "UNAUTHORIZED");
        Map<String, String> challenge = challenge(response);
        assertThat(challenge).containsEntry("realm", registry.url() + "/token").containsEntry("service", "berth")
                .doesNotContainKey("scope");
        assertThat(RegistryClient.header(response, "Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
    }

    @Test
    void aChallengeNamesTheScopeTheRequestNeeds() {
        assertThat(challenge(anonymous.get("/v2/team/app/manifests/v1")))
                .containsEntry("scope", "repository:team/app:pull");
        assertThat(challenge(anonymous.post("/v2/team/app/blobs/uploads/", new byte[0])))
                .containsEntry("scope", "repository:team/app:pull,push");
        assertThat(challenge(anonymous.delete("/v2/team/app/manifests/v1")))
                .containsEntry("scope", "repository:team/app:delete");
        assertThat(challenge(anonymous.get("/v2/_catalog"))).containsEntry("scope", "registry:catalog:*");
    }

    @Test
    void aTokenFromTheEndpointGrantsWhatWasAskedAndAllowed() {
        HttpResponse<byte[]> response = tokenResponse(anonymous, "alice", "repository:team/app:pull,push");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("token").asString()).isEqualTo(body.get("access_token").asString());
        assertThat(body.get("expires_in").asInt()).isGreaterThanOrEqualTo(60);
        assertThat(body.get("issued_at").asString()).endsWith("Z");
        assertThat(body.get("scope").asString()).isEqualTo("repository:team/app:pull,push");
        assertThat(body.has("refresh_token")).isFalse();

        RegistryClient alice = anonymous.authorized(bearer(body.get("token").asString()));
        assertThat(alice.get("/v2/").statusCode()).isEqualTo(200);
        RegistryClient.PushedImage pushed = alice.pushImage("team/app", "v2");
        HttpResponse<byte[]> pulled = alice.get("/v2/team/app/manifests/v2",
                "Accept", TestContent.OCI_MANIFEST);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(pushed.manifest());
        assertThat(alice.head("/v2/team/app/manifests/v2").statusCode()).isEqualTo(200);
    }

    @Test
    void tokensAreCutDownToWhatTheUserMayDo() {
        HttpResponse<byte[]> response = tokenResponse(anonymous, "bob", "repository:team/app:pull,push,delete",
                "repository:carol/tool:pull");
        assertThat(json(response).get("scope").asString()).isEqualTo("repository:team/app:pull");
        RegistryClient bob = anonymous.authorized(bearer(json(response).get("token").asString()));
        assertThat(bob.get("/v2/team/app/manifests/v1", "Accept", TestContent.OCI_MANIFEST).statusCode())
                .isEqualTo(200);
        // bob may not push there at all, whatever token he holds: denied, not challenged
        assertError(bob.post("/v2/team/app/blobs/uploads/", new byte[0]), 403, "DENIED");
        assertError(bob.get("/v2/carol/tool/manifests/v1"), 403, "DENIED");
    }

    @Test
    void aPullOnlyTokenCannotPushEvenForAUserWhoMay() {
        String pullOnly = token(anonymous, "alice", "repository:team/app:pull");
        HttpResponse<byte[]> push = anonymous.authorized(bearer(pullOnly))
                .post("/v2/team/app/blobs/uploads/", new byte[0]);
        assertError(push, 401, "UNAUTHORIZED");
        assertThat(challenge(push)).containsEntry("error", "insufficient_scope")
                .containsEntry("scope", "repository:team/app:pull,push");
        HttpResponse<byte[]> manifestPush = anonymous.authorized(bearer(pullOnly)).putManifest("team/app", "x",
                TestContent.OCI_MANIFEST, "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(manifestPush.statusCode()).isEqualTo(401);
    }

    @Test
    void aTokenForOneRepositoryCannotReadAnother() {
        RegistryClient forApp = anonymous.authorized(bearer(token(anonymous, "alice", "repository:team/app:pull")));
        HttpResponse<byte[]> other = forApp.get("/v2/team/other/manifests/v1");
        assertError(other, 401, "UNAUTHORIZED");
        assertThat(challenge(other)).containsEntry("scope", "repository:team/other:pull")
                .containsEntry("error", "insufficient_scope");
        assertThat(forApp.get("/v2/team/other/tags/list").statusCode()).isEqualTo(401);
        assertThat(forApp.get("/v2/team/other/blobs/" + TestContent.sha256(new byte[0])).statusCode())
                .isEqualTo(401);
    }

    @Test
    void anonymousCallersPullWhatThePolicyOpensAndNothingElse() {
        assertThat(anonymous.get("/v2/public/base/manifests/v1", "Accept", TestContent.OCI_MANIFEST).statusCode())
                .isEqualTo(200);
        assertThat(anonymous.get("/v2/public/base/tags/list").statusCode()).isEqualTo(200);
        assertThat(anonymous.post("/v2/public/base/blobs/uploads/", new byte[0]).statusCode()).isEqualTo(401);
        assertThat(anonymous.get("/v2/team/app/tags/list").statusCode()).isEqualTo(401);

        HttpResponse<byte[]> response = tokenResponse(anonymous, null, "repository:public/base:pull,push",
                "repository:team/app:pull");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("scope").asString()).isEqualTo("repository:public/base:pull");
        RegistryClient withToken = anonymous.authorized(bearer(json(response).get("token").asString()));
        assertThat(withToken.get("/v2/public/base/tags/list").statusCode()).isEqualTo(200);
        assertThat(withToken.get("/v2/").statusCode()).isEqualTo(200);
        assertThat(withToken.post("/v2/public/base/blobs/uploads/", new byte[0]).statusCode()).isEqualTo(401);
    }

    @Test
    void basicCredentialsWorkDirectlyOnTheApi() {
        RegistryClient alice = anonymous.authorized(basic("alice"));
        assertThat(alice.get("/v2/").statusCode()).isEqualTo(200);
        alice.pushImage("team/direct", "v1");
        assertThat(alice.delete("/v2/team/direct/manifests/v1").statusCode()).isEqualTo(202);
        assertError(anonymous.authorized(basic("bob")).delete("/v2/team/app/manifests/v1"), 403, "DENIED");
        assertError(anonymous.authorized(basic("carol")).get("/v2/team/app/tags/list"), 403, "DENIED");
    }

    @Test
    void wrongPasswordsAndUnknownUsersAreUnauthorized() {
        HttpResponse<byte[]> direct = anonymous.authorized(basic("alice", "wrong")).get("/v2/");
        assertError(direct, 401, "UNAUTHORIZED");
        assertThat(challenge(direct)).containsKey("realm");
        assertThat(body(direct)).doesNotContain("wrong");

        HttpResponse<byte[]> token = anonymous.get("/token?service=berth&scope=repository:team/app:pull",
                "Authorization", basic("mallory", "guess"));
        assertError(token, 401, "UNAUTHORIZED");
        assertThat(RegistryClient.header(token, "WWW-Authenticate")).startsWith("Basic realm=");
        assertError(anonymous.authorized("Basic !!!not-base64").get("/v2/"), 401, "UNAUTHORIZED");
        assertError(anonymous.authorized("Digest x").get("/v2/"), 401, "UNAUTHORIZED");
    }

    @Test
    void tamperedAndForeignTokensAreRejected() {
        String token = token(anonymous, "alice", "repository:team/app:pull");
        String[] parts = token.split("\\.");
        String widened = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("team/app", "team/other");
        String tampered = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(widened.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        HttpResponse<byte[]> response = anonymous.authorized(bearer(tampered)).get("/v2/team/other/tags/list");
        assertError(response, 401, "UNAUTHORIZED");
        assertThat(challenge(response)).containsEntry("error", "invalid_token");
        assertThat(anonymous.authorized(bearer("not-a-jwt")).get("/v2/").statusCode()).isEqualTo(401);
        assertThat(anonymous.authorized(bearer(parts[0] + "." + parts[1] + ".")).get("/v2/").statusCode())
                .isEqualTo(401);
    }

    @Test
    void anExpiredTokenSignedWithTheRegistrysOwnKeyIsRejected() {
        java.time.Instant anHourAgo = java.time.Instant.now().minus(java.time.Duration.ofHours(1));
        TokenService sameKey = TokenService.open(registry.dataDir(), AuthFixture.auth(),
                java.time.Clock.fixed(anHourAgo, java.time.ZoneOffset.UTC));
        String expired = sameKey.issueAccess(Identity.user("alice", java.util.Set.of("dev")),
                List.of(Scope.repository("team/app", "pull")), anHourAgo);
        HttpResponse<byte[]> response = anonymous.authorized(bearer(expired)).get("/v2/team/app/tags/list");
        assertError(response, 401, "UNAUTHORIZED");
        assertThat(challenge(response)).containsEntry("error", "invalid_token");
        String fresh = sameKey.issueAccess(Identity.user("alice", java.util.Set.of("dev")),
                List.of(Scope.repository("team/app", "pull")), java.time.Instant.now());
        assertThat(anonymous.authorized(bearer(fresh)).get("/v2/team/app/tags/list").statusCode()).isEqualTo(200);
    }

    @Test
    void theOAuthPasswordAndRefreshGrantsWork() {
        HttpResponse<byte[]> login = form("grant_type=password&username=alice&password=alice-password"
                + "&service=berth&client_id=test&access_type=offline&scope=repository:team/app:pull");
        assertThat(login.statusCode()).as(body(login)).isEqualTo(200);
        String refresh = json(login).get("refresh_token").asString();
        assertThat(json(login).get("scope").asString()).isEqualTo("repository:team/app:pull");

        HttpResponse<byte[]> refreshed = form("grant_type=refresh_token&refresh_token=" + refresh
                + "&service=berth&client_id=test&scope=repository:team/other:pull,push");
        assertThat(refreshed.statusCode()).as(body(refreshed)).isEqualTo(200);
        assertThat(json(refreshed).get("refresh_token").asString()).isEqualTo(refresh);
        RegistryClient alice = anonymous.authorized(bearer(json(refreshed).get("access_token").asString()));
        assertThat(alice.get("/v2/team/other/tags/list").statusCode()).isEqualTo(200);

        // a refresh token is not an access token, and an access token is not a refresh token
        assertThat(anonymous.authorized(bearer(refresh)).get("/v2/").statusCode()).isEqualTo(401);
        String access = json(refreshed).get("access_token").asString();
        assertError(form("grant_type=refresh_token&refresh_token=" + access + "&service=berth&client_id=t"), 401,
                "UNAUTHORIZED");
        assertError(form("grant_type=password&username=alice&password=nope&service=berth&client_id=t"), 401,
                "UNAUTHORIZED");
        assertError(form("grant_type=authorization_code&code=x&service=berth&client_id=t"), 400, "UNSUPPORTED");
        assertError(form("grant_type=password&username=alice&password=alice-password&service=elsewhere"), 400,
                "UNSUPPORTED");
    }

    @Test
    void offlineTokensOnGetCarryARefreshToken() {
        HttpResponse<byte[]> response = anonymous.get("/token?service=berth&offline_token=true&client_id=x",
                "Authorization", basic("carol"));
        assertThat(json(response).get("refresh_token").asString()).isNotBlank();
        HttpResponse<byte[]> anon = anonymous.get("/token?service=berth&offline_token=true");
        assertThat(json(anon).has("refresh_token")).isFalse();
    }

    @Test
    void theCatalogListsOnlyRepositoriesTheCallerMayPull() {
        assertThat(catalog(anonymous.authorized(basic("carol")))).contains("carol/tool", "public/base")
                .doesNotContain("team/app", "team/other");
        assertThat(catalog(anonymous.authorized(basic("alice")))).contains("team/app", "team/other", "public/base")
                .doesNotContain("carol/tool");
        String catalogToken = token(anonymous, "bob", "registry:catalog:*");
        assertThat(catalog(anonymous.authorized(bearer(catalogToken)))).contains("team/app", "public/base")
                .doesNotContain("carol/tool");
        HttpResponse<byte[]> paged = anonymous.authorized(basic("carol")).get("/v2/_catalog?n=1");
        assertThat(json(paged).get("repositories")).hasSize(1);
        assertThat(RegistryClient.header(paged, "Link")).contains("last=carol%2Ftool");
        assertThat(json(anonymous.authorized(basic("carol")).get("/v2/_catalog?n=1&last=carol%2Ftool"))
                .get("repositories").get(0).asString()).isEqualTo("public/base");
    }

    @Test
    void aMountNeedsPullOnTheSourceOtherwiseAnUploadStarts() {
        RegistryClient alice = anonymous.authorized(basic("alice"));
        byte[] layer = TestContent.randomBytes(2048);
        String digest = alice.pushBlob("team/app", layer);
        RegistryClient carol = anonymous.authorized(basic("carol"));
        HttpResponse<byte[]> refused = carol.post("/v2/carol/tool/blobs/uploads/?mount=" + digest
                + "&from=team/app", new byte[0]);
        assertThat(refused.statusCode()).isEqualTo(202);
        assertThat(carol.head("/v2/carol/tool/blobs/" + digest).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> withoutSource = carol.post("/v2/carol/tool/blobs/uploads/?mount=" + digest,
                new byte[0]);
        assertThat(withoutSource.statusCode()).isEqualTo(202);

        HttpResponse<byte[]> mounted = alice.post("/v2/team/copy/blobs/uploads/?mount=" + digest + "&from=team/app",
                new byte[0]);
        assertThat(mounted.statusCode()).isEqualTo(201);
    }

    @Test
    void aTokenRequestWithMalformedPercentEncodingIsA400NamingTheParameter() {
        for (String bad : List.of("%ff%fe", "%c0%ae", "%ed%a0%80")) {
            HttpResponse<byte[]> query = anonymous.get("/token?service=berth&scope=repository:team/app:pull" + bad);
            assertError(query, 400, "UNSUPPORTED");
            assertThat(json(query).path("errors").path(0).path("message").asString()).contains("'scope'");

            HttpResponse<byte[]> posted = form("grant_type=password&service=berth&username=alice" + bad
                    + "&password=x");
            assertThat(posted.statusCode()).as(body(posted)).isEqualTo(400);
            RegistryClient.assertErrorBody(posted);
        }
    }

    private static HttpResponse<byte[]> form(String body) {
        return anonymous.post("/token", body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
    }

    private static List<String> catalog(RegistryClient client) {
        HttpResponse<byte[]> response = client.get("/v2/_catalog");
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        List<String> names = new ArrayList<>();
        json(response).get("repositories").forEach(name -> names.add(name.asString()));
        return names;
    }
}
