package io.berth.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.auth.RobotTokens;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The web UI over HTTP, as a browser sees it: who may see and change what, the session and CSRF cookies, the
 * headers that keep pages safe, and what the pages show (escaped).
 */
class UiTest {

    @Test
    void anonymousVisitorsSeeWhatTheyMayPullAndAreSentToSignInForTheRest() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            RegistryClient alice = new RegistryClient(registry.url()).authorized(AuthFixture.basic("alice"));
            alice.pushImage("team/app", "v1");
            alice.pushImage("public/tool", "v1");
            Browser browser = new Browser(registry.url());

            HttpResponse<String> home = browser.get("/ui/");
            assertThat(home.statusCode()).isEqualTo(200);
            assertThat(home.headers().firstValue("Content-Type")).hasValue("text/html;charset=utf-8");
            assertThat(home.headers().firstValue("Content-Security-Policy").orElseThrow())
                    .contains("default-src 'none'").contains("script-src 'self'").contains("frame-ancestors 'none'");
            assertThat(home.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(home.body()).contains("public/tool").doesNotContain("team/app").contains("Sign in");
            assertThat(Browser.setCookie(home, "berth_csrf")).contains("HttpOnly").contains("SameSite=Strict")
                    .contains("Path=/ui").doesNotContain("Secure");

            HttpResponse<String> refused = browser.get("/ui/r/team/app");
            assertThat(refused.statusCode()).isEqualTo(303);
            assertThat(refused.headers().firstValue("Location")).hasValue("/ui/login?next=%2Fui%2Fr%2Fteam%2Fapp");
            assertThat(browser.get("/ui/r/public/tool").body()).contains("v1").doesNotContain("Delete");
            assertThat(browser.get("/ui").headers().firstValue("Location")).hasValue("/ui/");
            HttpResponse<String> missing = browser.get("/ui/no/such/page");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("There is no such page.");
        }
    }

    @Test
    void signingInGivesASessionCookieThatOnlyPagesAcceptAndSigningOutDropsIt() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            RegistryClient alice = new RegistryClient(registry.url()).authorized(AuthFixture.basic("alice"));
            alice.pushImage("team/app", "v1");
            Browser browser = new Browser(registry.url());
            assertThat(browser.get("/ui/login").body()).contains("name=\"csrf\"");

            HttpResponse<String> wrong = browser.post("/ui/login", Map.of("username", "alice", "password", "nope",
                    "next", "/ui/r/team/app"));
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).contains("Incorrect user name or password.");
            assertThat(Browser.setCookie(wrong, "berth_session")).isNull();

            Map<String, String> good = Map.of("username", "alice", "password", AuthFixture.password("alice"),
                    "next", "/ui/r/team/app");
            // a form without the page's token, or from another site, signs no one in
            Map<String, String> forged = new java.util.HashMap<>(good);
            forged.put("csrf", "A".repeat(43));
            assertThat(browser.post("/ui/login", forged).statusCode()).isEqualTo(403);
            HttpResponse<String> crossSite = browser.post("/ui/login", good, "Origin", "http://evil.example");
            assertThat(crossSite.statusCode()).isEqualTo(403);
            assertThat(crossSite.body()).contains("sent from another site");
            assertThat(browser.cookies).doesNotContainKey("berth_session");

            HttpResponse<String> signedIn = browser.post("/ui/login", good, "Origin", registry.url());
            assertThat(signedIn.statusCode()).isEqualTo(303);
            assertThat(signedIn.headers().firstValue("Location")).hasValue("/ui/r/team/app");
            assertThat(Browser.setCookie(signedIn, "berth_session")).contains("HttpOnly").contains("SameSite=Lax")
                    .contains("Path=/ui").doesNotContain("Secure");
            HttpResponse<String> page = browser.get("/ui/r/team/app");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("alice").contains("v1").contains("Delete repository");

            // the API ignores the session cookie: a browser adds it by itself, so it must not carry API requests
            RegistryClient withCookie = new RegistryClient(registry.url());
            assertThat(withCookie.get("/api/v1/repositories/team/app", "Cookie",
                    "berth_session=" + browser.cookies.get("berth_session")).statusCode()).isEqualTo(401);

            // a next page elsewhere is not followed
            Map<String, String> away = new java.util.HashMap<>(good);
            away.put("next", "//evil.example/");
            assertThat(browser.post("/ui/login", away).headers().firstValue("Location")).hasValue("/ui/");

            HttpResponse<String> out = browser.post("/ui/logout", Map.of());
            assertThat(out.statusCode()).isEqualTo(303);
            assertThat(Browser.setCookie(out, "berth_session")).contains("Expires=Thu, 01 Jan 1970");
            assertThat(browser.get("/ui/r/team/app").statusCode()).isEqualTo(303);
        }
    }

    @Test
    void robotsSignInWithTheirTokenAndSeeWhatTheTokenGrants() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            RegistryClient alice = new RegistryClient(registry.url()).authorized(AuthFixture.basic("alice"));
            alice.pushImage("team/app", "v1");
            alice.pushImage("team/other", "v1");
            String token;
            try (SqlMetadataStore store = SqlMetadataStore.open("jdbc:sqlite:"
                    + registry.dataDir().resolve("metadata.db"), null, null)) {
                token = new RobotTokens(store, Clock.systemUTC()).create("ci", List.of("team/app"), List.of("pull"),
                        Duration.ofDays(1)).token();
            }
            Browser browser = new Browser(registry.url());
            browser.get("/ui/login");
            assertThat(browser.post("/ui/login", Map.of("username", RobotTokens.USER_PREFIX + "ci",
                    "password", token)).statusCode()).isEqualTo(303);
            HttpResponse<String> home = browser.get("/ui/");
            assertThat(home.body()).contains("robot$ci").contains("team/app").doesNotContain("team/other");
            HttpResponse<String> other = browser.get("/ui/r/team/other");
            assertThat(other.statusCode()).isEqualTo(403);
            assertThat(other.body()).contains("You have no pull access to team/other.");
        }
    }

    @Test
    void pagesShowWhatClientsWroteAsTextWithTheReferrerTreeAndPlatforms() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE)) {
            RegistryClient client = new RegistryClient(registry.url());
            UiContent content = UiContent.push(client, "team/app");
            Browser browser = new Browser(registry.url());

            String image = browser.get("/ui/r/team/app/-/images/" + content.image()).body();
            assertThat(image).doesNotContain("<script>document").doesNotContain("<img src=x")
                    .contains("&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
            // the tree: a signature and an SBOM, and under the SBOM its signature, each linked to its page
            int signatureGroup = image.indexOf("<span class=\"kind\">Signature</span>");
            int sbomGroup = image.indexOf("<span class=\"kind\">SBOM</span>");
            assertThat(signatureGroup).isPositive();
            assertThat(sbomGroup).isGreaterThan(signatureGroup);
            assertThat(image.indexOf("/-/images/" + content.sbomSignature())).isGreaterThan(sbomGroup);
            assertThat(image).contains("/-/images/" + content.signature()).contains("/-/images/" + content.sbom());
            assertThat(image).contains("docker pull " + registry.hostPort() + "/team/app:stable")
                    .contains("podman pull --tls-verify=false " + registry.hostPort() + "/team/app:stable")
                    .contains("skopeo copy --src-tls-verify=false docker://" + registry.hostPort()
                            + "/team/app:stable oci:app:stable");

            String index = browser.get("/ui/r/team/app/-/images/" + content.index()).body();
            assertThat(index).contains("linux/amd64").contains("linux/arm64").contains("Index");

            String repository = browser.get("/ui/r/team/app").body();
            assertThat(repository).contains("Index").contains("linux/amd64, linux/arm64").contains(">v1<")
                    .contains(">stable<").doesNotContain(content.signature().substring(7, 19));
            assertThat(browser.get("/ui/r/team/app?type=referrers").body())
                    .contains(content.signature().substring(7, 19)).doesNotContain(">stable<");
            assertThat(browser.get("/ui/?q=app").body()).contains("team/app");
            assertThat(browser.get("/ui/?q=zzz").body()).doesNotContain("team/app");
            HttpResponse<String> badSort = browser.get("/ui/?sort=color");
            assertThat(badSort.statusCode()).isEqualTo(400);
            assertThat(badSort.body()).contains("sort must be one of name, pushed, size");
            assertThat(browser.get("/ui/r/team/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void deletingNeedsTheDeletePermissionAndThePagesToken() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            RegistryClient alice = new RegistryClient(registry.url()).authorized(AuthFixture.basic("alice"));
            UiContent content = UiContent.push(alice, "team/app");
            Browser bob = signIn(registry, "bob");
            assertThat(bob.get("/ui/r/team/app").body()).contains(">v1<").doesNotContain("Delete");
            assertThat(bob.post("/ui/r/team/app/-/tags/v1/delete", Map.of()).statusCode()).isEqualTo(403);
            assertThat(bob.get("/ui/r/team/app/-/tags/v1/delete").statusCode()).isEqualTo(403);

            Browser browser = signIn(registry, "alice");
            String confirm = browser.get("/ui/r/team/app/-/tags/v1/delete").body();
            assertThat(confirm).contains("Delete tag team/app:v1?")
                    .contains("action=\"/ui/r/team/app/-/tags/v1/delete\"");
            Map<String, String> forged = Map.of("csrf", "B".repeat(43));
            assertThat(browser.post("/ui/r/team/app/-/tags/v1/delete", forged).statusCode()).isEqualTo(403);
            assertThat(tags(alice, "team/app")).contains("v1");

            HttpResponse<String> deleted = browser.post("/ui/r/team/app/-/tags/v1/delete", Map.of());
            assertThat(deleted.statusCode()).isEqualTo(303);
            assertThat(deleted.headers().firstValue("Location")).hasValue("/ui/r/team/app?deletedTag=v1");
            assertThat(tags(alice, "team/app")).doesNotContain("v1").contains("stable");
            assertThat(browser.get("/ui/r/team/app?deletedTag=v1").body()).contains("Tag v1 deleted.");

            assertThat(browser.post("/ui/r/team/app/-/images/" + content.index() + "/delete", Map.of()).statusCode())
                    .isEqualTo(303);
            assertThat(alice.get("/v2/team/app/manifests/" + content.index()).statusCode()).isEqualTo(404);

            assertThat(browser.post("/ui/r/team/app/-/delete", Map.of()).headers().firstValue("Location"))
                    .hasValue("/ui/");
            assertThat(alice.get("/v2/team/app/tags/list").statusCode()).isEqualTo(404);
            assertThat(browser.get("/ui/").body()).doesNotContain("team/app");
        }
    }

    @Test
    void usageCountsSharedBlobsOnceAndAdministratorsSeeTheRegistrysTotals() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withAuth(AuthFixture.auth()
                .withAccess(append(AuthFixture.auth().access(), AuthFixture.rule("**", "user:alice", "admin")))))) {
            RegistryClient alice = new RegistryClient(registry.url()).authorized(AuthFixture.basic("alice"));
            alice.pushImage("team/app", "v1");
            alice.pushImage("team/web", "v1");
            alice.pushImage("public/tool", "v1");
            Browser admin = signIn(registry, "alice");
            String team = admin.get("/ui/usage?namespace=team/").body();
            assertThat(team).contains("Under team/").contains("team/app").contains("team/web")
                    .doesNotContain("public/tool").doesNotContain("Garbage collection would free");
            assertThat(admin.get("/ui/usage").body()).contains("All repositories").contains("public/tool")
                    .contains("Garbage collection would free");
            Browser bob = signIn(registry, "bob");
            String seen = bob.get("/ui/usage?namespace=team/").body();
            assertThat(seen).contains("team/app");
            assertThat(bob.get("/ui/usage").body()).doesNotContain("Garbage collection would free");
        }
    }

    @Test
    void cookiesAreSecureWhenTheRegistryIsReachedOverTls() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withAuth(AuthFixture.auth()
                .withTrustedProxies(List.of("127.0.0.1/32", "::1/128"))))) {
            Browser browser = new Browser(registry.url());
            HttpResponse<String> page = browser.get("/ui/login", "X-Forwarded-Proto", "https");
            assertThat(Browser.setCookie(page, "berth_csrf")).contains("Secure");
            HttpResponse<String> signedIn = browser.post("/ui/login", Map.of("username", "bob",
                    "password", AuthFixture.password("bob")), "X-Forwarded-Proto", "https");
            assertThat(Browser.setCookie(signedIn, "berth_session")).contains("Secure").contains("HttpOnly");
        }
    }

    static Browser signIn(TestRegistry registry, String user) {
        Browser browser = new Browser(registry.url());
        browser.get("/ui/login");
        HttpResponse<String> response = browser.post("/ui/login", Map.of("username", user,
                "password", AuthFixture.password(user)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(303);
        return browser;
    }

    private static String tags(RegistryClient client, String repository) {
        return RegistryClient.body(client.get("/v2/" + repository + "/tags/list"));
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> all = new ArrayList<>(list);
        all.add(item);
        return all;
    }
}
