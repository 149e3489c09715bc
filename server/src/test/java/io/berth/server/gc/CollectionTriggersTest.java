package io.berth.server.gc;

import static io.berth.server.gc.Images.blobFile;
import static io.berth.server.gc.Images.collected;
import static io.berth.server.protocol.RegistryClient.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.metadata.CollectorLock;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.AuthConfig;
import io.berth.server.GcConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A collection runs on the server's schedule, and on demand for a registry-wide administrator. */
class CollectionTriggersTest {
    private static final GcConfig NO_GRACE = new GcConfig(Duration.ZERO, Duration.ZERO, Duration.ZERO, List.of());

    @Test
    void onlyARegistryWideAdministratorMayCollect() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withAuth(adminCarol()).withGc(NO_GRACE))) {
            RegistryClient anonymous = new RegistryClient(registry.url());
            RegistryClient alice = anonymous.authorized(AuthFixture.basic("alice"));
            RegistryClient carol = anonymous.authorized(AuthFixture.basic("carol"));

            assertError(anonymous.post("/admin/gc", new byte[0]), 401, "UNAUTHORIZED");
            // alice may push and delete under team/**, but administers nothing.
            assertError(alice.post("/admin/gc", new byte[0]), 403, "DENIED");
            assertError(carol.get("/admin/gc"), 405, "UNSUPPORTED");
            assertError(carol.post("/admin/gc?dryRun=yes", new byte[0]), 400, "UNSUPPORTED");

            String digest = alice.pushBlob("team/app", TestContent.randomBytes(333));
            try (AuditCapture audit = new AuditCapture()) {
                JsonNode dry = Images.dryRun(carol);
                assertThat(collected(dry, "blob")).contains(digest);
                assertThat(blobFile(registry.dataDir(), digest)).exists();

                JsonNode report = Images.collect(carol);

                assertThat(report.path("dryRun").asBoolean()).isFalse();
                assertThat(Instant.parse(report.path("startedAt").asString())).isBefore(Instant.now().plusSeconds(1));
                for (String kind : List.of("uploads", "untaggedManifests", "referrers", "links", "blobs")) {
                    assertThat(report.path("collected").path(kind).path("count").isNumber()).as(kind).isTrue();
                }
                assertThat(collected(report, "blob")).contains(digest);
                assertThat(collected(report, "link")).contains("team/app@" + digest);
                assertThat(blobFile(registry.dataDir(), digest)).doesNotExist();
                assertThat(audit.lines()).anySatisfy(line -> assertThat(line)
                        .contains("\"event\":\"collect\"", "\"subject\":\"carol\"", "\"kind\":\"blob\"", digest));
            }
        }
    }

    @Test
    void aSecondCollectionWhileOneRunsIsRefused() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withGc(NO_GRACE));
             SqlMetadataStore elsewhere = SqlMetadataStore.open(registry.config().effectiveMetadataUrl(), null, null)) {
            RegistryClient client = new RegistryClient(registry.url());
            try (CollectorLock running = elsewhere.tryLockCollector().orElseThrow()) {
                HttpResponse<byte[]> refused = client.post("/admin/gc", new byte[0]);

                assertError(refused, 429, "TOOMANYREQUESTS");
                // A dry run deletes nothing, so it needs no turn.
                Images.dryRun(client);
            }
            Images.collect(client);
        }
    }

    @Test
    void theServerCollectsOnItsSchedule() throws Exception {
        GcConfig everySecondOrSo = new GcConfig(Duration.ofMillis(300), Duration.ZERO, Duration.ZERO, List.of());
        try (AuditCapture audit = new AuditCapture();
             TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withGc(everySecondOrSo))) {
            RegistryClient client = new RegistryClient(registry.url());
            String digest = client.pushBlob("scheduled/app", TestContent.randomBytes(100));

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (client.head("/v2/scheduled/app/blobs/" + digest).statusCode() != 404
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }

            assertThat(blobFile(registry.dataDir(), digest)).doesNotExist();
            assertThat(audit.lines()).anySatisfy(line -> assertThat(line).contains("\"event\":\"collect\"",
                    "\"subject\":\"berth\"", "\"source\":\"schedule\"", digest));
        }
    }

    private static AuthConfig adminCarol() {
        List<AuthConfig.AccessRule> rules = new ArrayList<>(AuthFixture.auth().access());
        rules.add(AuthFixture.rule("**", "user:carol", "admin"));
        return AuthFixture.auth().withAccess(rules);
    }
}
