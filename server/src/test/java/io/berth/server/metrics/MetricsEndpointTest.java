package io.berth.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.AuthConfig;
import io.berth.server.GcConfig;
import io.berth.server.MetricsConfig;
import io.berth.server.events.Endpoint;
import io.berth.server.events.EventFormat;
import io.berth.server.events.NotificationsConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: the server's meters in Prometheus' text format, as promtool accepts it. */
class MetricsEndpointTest {
    private static final String MANIFESTS = "/v2/{name}/manifests/{reference}";
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One sample of the exposition: its metric name, labels (sorted) and value. */
    private record Sample(String name, Map<String, String> labels, double value) {
    }

    private static Map<String, Sample> samples(String exposition) {
        Map<String, Sample> samples = new LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (line.startsWith("#") || !sample.matches()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>();
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.put(sample.group(1) + labels, new Sample(sample.group(1), labels, Double.parseDouble(
                    sample.group(4))));
        }
        return samples;
    }

    /** The value of the sample of {@code name} with exactly these labels, or null. */
    private static Double value(Map<String, Sample> samples, String name, String... labels) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        Sample sample = samples.get(name + wanted);
        return sample == null ? null : sample.value();
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void aPushAndAPullAreCountedByRoutePatternMethodAndStatusWithTheirBytes() throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE)) {
            RegistryClient client = new RegistryClient(registry.url());
            RegistryClient.PushedImage image = client.pushImage("team/app", "v1", 2);
            HttpResponse<byte[]> pull = client.get("/v2/team/app/manifests/v1",
                    "Accept", "application/vnd.oci.image.manifest.v1+json");
            assertThat(pull.statusCode()).isEqualTo(200);
            client.get("/no/such/path/anywhere");

            HttpResponse<byte[]> response = client.get("/metrics");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type"))
                    .hasValue("text/plain; version=0.0.4; charset=utf-8");
            String text = text(response);
            Map<String, Sample> samples = samples(text);
            assertThat(value(samples, "berth_http_server_requests_seconds_count", "route", MANIFESTS,
                    "method", "PUT", "status", "201")).isEqualTo(1.0);
            assertThat(value(samples, "berth_http_server_requests_seconds_count", "route", MANIFESTS,
                    "method", "GET", "status", "200")).isEqualTo(1.0);
            assertThat(value(samples, "berth_http_server_requests_seconds_bucket", "route", MANIFESTS,
                    "method", "GET", "status", "200", "le", "+Inf")).isEqualTo(1.0);
            assertThat(samples.values().stream().filter(sample -> sample.name()
                    .equals("berth_http_server_requests_seconds_bucket") && sample.labels().get("route")
                    .equals(MANIFESTS) && sample.labels().get("method").equals("GET"))).hasSizeBetween(8, 12);
            assertThat(value(samples, "berth_http_server_requests_seconds_count", "route", "unmatched",
                    "method", "GET", "status", "404")).isEqualTo(1.0);
            assertThat(value(samples, "berth_http_server_response_body_bytes_total", "route", MANIFESTS,
                    "method", "GET", "status", "200")).isEqualTo((double) pull.body().length);
            assertThat(value(samples, "berth_http_server_request_body_bytes_total", "route", MANIFESTS,
                    "method", "PUT", "status", "201")).isEqualTo((double) image.manifest().length);
            double uploaded = samples.values().stream()
                    .filter(sample -> sample.name().equals("berth_http_server_request_body_bytes_total")
                            && sample.labels().get("route").contains("/blobs/uploads"))
                    .mapToDouble(Sample::value).sum();
            long blobBytes = image.config().length + image.layers().stream().mapToLong(layer -> layer.length).sum();
            assertThat(uploaded).isEqualTo((double) blobBytes);
            assertThat(value(samples, "berth_uploads_in_progress")).isEqualTo(0.0);
            assertThat(value(samples, "berth_cache_requests_total", "cache", "manifests", "result", "miss"))
                    .isGreaterThanOrEqualTo(1.0);
            assertThat(value(samples, "berth_storage_errors_total", "kind", "unavailable")).isEqualTo(0.0);
            assertThat(value(samples, "berth_gc_runs_total")).isEqualTo(0.0);
            assertThat(text).contains("hikaricp_connections_active{pool=\"berth-sqlite-writer\"}",
                    "jvm_memory_used_bytes", "jvm_threads_live_threads");
            assertThat(text).as("paths never become labels").doesNotContain("team/app", "/no/such");

            assertThat(promtoolCheck(text)).isEmpty();
        }
    }

    /** What {@code promtool check metrics} says of the exposition; empty when it has nothing to object to. */
    private static String promtoolCheck(String exposition) throws IOException, InterruptedException {
        ExternalTools.require("promtool");
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = promtool.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return promtool.exitValue() == 0 ? output.strip() : "exit " + promtool.exitValue() + ": " + output;
    }

    @Test
    void garbageCollectionEventDeliveryAndTheCachesAreCounted() throws Exception {
        // An endpoint nobody listens on (the discard port): every delivery attempt fails.
        Endpoint unreachable = new Endpoint("audit-sink", URI.create("http://127.0.0.1:9/events"),
                EventFormat.CLOUDEVENTS, Set.of(), List.of(), Set.of(), Set.of(), Map.of(), null,
                Duration.ofSeconds(1), 1);
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config
                .withGc(new GcConfig(Duration.ZERO, Duration.ZERO, Duration.ZERO, List.of()))
                .withNotifications(new NotificationsConfig(List.of(unreachable), Duration.ofDays(7), "/berth",
                        false)))) {
            RegistryClient client = new RegistryClient(registry.url());
            client.pushImage("team/app", "v1", 1);
            byte[] orphan = TestContent.randomBytes(4321);
            client.pushBlob("team/app", orphan);
            for (int i = 0; i < 3; i++) {
                client.get("/v2/team/app/manifests/v1", "Accept", "application/vnd.oci.image.manifest.v1+json");
            }
            assertThat(client.post("/admin/gc", new byte[0]).statusCode()).isEqualTo(200);
            Thread.sleep(1500); // a delivery attempt or two

            Map<String, Sample> samples = samples(text(client.get("/metrics")));

            assertThat(value(samples, "berth_gc_runs_total")).isEqualTo(1.0);
            assertThat(value(samples, "berth_gc_freed_bytes_total")).isEqualTo(4321.0);
            assertThat(value(samples, "berth_gc_deleted_total", "kind", "blobs")).isEqualTo(1.0);
            assertThat(value(samples, "berth_events_delivery_failures_total", "endpoint", "audit-sink"))
                    .isGreaterThanOrEqualTo(1.0);
            assertThat(value(samples, "berth_events_pending", "endpoint", "audit-sink")).isGreaterThanOrEqualTo(1.0);
            assertThat(value(samples, "berth_events_lag_seconds", "endpoint", "audit-sink")).isGreaterThan(0.0);
            assertThat(value(samples, "berth_cache_requests_total", "cache", "manifests", "result", "hit"))
                    .isGreaterThanOrEqualTo(2.0);
            assertThat(value(samples, "berth_cache_hit_ratio", "cache", "manifests")).isBetween(0.01, 1.0);
        }
    }

    @Test
    void withATokenConfiguredMetricsNeedItAsABearerToken() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withMetrics(
                new MetricsConfig(true, MetricsConfig.Access.TOKEN, "s3cret-scrape-token")))) {
            RegistryClient client = new RegistryClient(registry.url());

            HttpResponse<byte[]> without = client.get("/metrics");
            HttpResponse<byte[]> wrong = client.get("/metrics", "Authorization", "Bearer s3cret-scrape-toke");
            HttpResponse<byte[]> right = client.get("/metrics", "Authorization", "Bearer s3cret-scrape-token");

            RegistryClient.assertError(without, 401, "UNAUTHORIZED");
            assertThat(without.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"metrics\"");
            RegistryClient.assertError(wrong, 401, "UNAUTHORIZED");
            assertThat(right.statusCode()).isEqualTo(200);
            assertThat(text(right)).contains("berth_http_server_requests_seconds_count");
            assertThat(client.get("/readyz").statusCode()).as("the probes stay open").isEqualTo(200);
        }
    }

    @Test
    void withAdminAccessOnlyARegistryWideAdministratorReadsMetrics() {
        List<AuthConfig.AccessRule> rules = new ArrayList<>(AuthFixture.auth().access());
        rules.add(AuthFixture.rule("**", "user:carol", "admin"));
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config
                .withAuth(AuthFixture.auth().withAccess(rules))
                .withMetrics(new MetricsConfig(true, MetricsConfig.Access.ADMIN, null)))) {
            RegistryClient anonymous = new RegistryClient(registry.url());

            RegistryClient.assertError(anonymous.get("/metrics"), 401, "UNAUTHORIZED");
            RegistryClient.assertError(anonymous.authorized(AuthFixture.basic("alice")).get("/metrics"), 403,
                    "DENIED");
            assertThat(anonymous.authorized(AuthFixture.basic("carol")).get("/metrics").statusCode()).isEqualTo(200);
            assertThat(anonymous.get("/livez").statusCode()).isEqualTo(200);
            assertThat(anonymous.get("/readyz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void switchedOffMetricsAreNotFound() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withMetrics(
                new MetricsConfig(false, MetricsConfig.Access.PUBLIC, null)))) {
            RegistryClient client = new RegistryClient(registry.url());

            RegistryClient.assertError(client.get("/metrics"), 404, "NAME_UNKNOWN");
            assertThat(client.get("/livez").statusCode()).isEqualTo(200);
        }
    }
}
