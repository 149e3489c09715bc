package io.berth.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.registry.events.EventType;
import io.berth.server.Config;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code notifications} section: read into endpoints, and every mistake refused naming its field. */
class NotificationsConfigTest {
    @TempDir
    Path dir;

    @Test
    void endpointsAreReadWithTheirFiltersAndDefaults() throws Exception {
        Config config = load("""
                notifications:
                  retention: 3d
                  source: https://registry.example
                  pulls: true
                  endpoints:
                    - name: security
                      url: https://hooks.example/berth
                      events: [io.berth.referrer.pushed, io.berth.referrer.deleted]
                      repositories: [team/**, base/*]
                      artifactTypes: [application/vnd.cncf.notary.signature]
                      headers: {Authorization: Bearer abc}
                      secret: s3cret
                      timeout: 3s
                      batch: 50
                    - name: registry2
                      url: http://127.0.0.1:9000/registry
                      format: distribution
                """);

        NotificationsConfig notifications = config.notifications();
        assertThat(notifications.retention()).isEqualTo(Duration.ofDays(3));
        assertThat(notifications.source()).isEqualTo("https://registry.example");
        assertThat(notifications.pulls()).isTrue();
        assertThat(config.registryOptions(false).announcePulls()).isTrue();
        assertThat(Config.DEFAULTS.registryOptions(false).announcePulls()).isFalse();
        Endpoint security = notifications.endpoints().getFirst();
        assertThat(security.url()).isEqualTo(URI.create("https://hooks.example/berth"));
        assertThat(security.format()).isEqualTo(EventFormat.CLOUDEVENTS);
        assertThat(security.events()).isEqualTo(Set.of(EventType.REFERRER_PUSHED, EventType.REFERRER_DELETED));
        assertThat(security.headers()).isEqualTo(Map.of("Authorization", "Bearer abc"));
        assertThat(security.secret()).isEqualTo("s3cret");
        assertThat(security.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(security.batch()).isEqualTo(50);
        assertThat(security.batched()).isTrue();
        Endpoint registry2 = notifications.endpoints().get(1);
        assertThat(registry2.name()).isEqualTo("registry2");
        assertThat(registry2.format()).isEqualTo(EventFormat.DISTRIBUTION);
        assertThat(registry2.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(registry2.batch()).isEqualTo(1);
        assertThat(registry2.secret()).isNull();
        assertThat(Config.DEFAULTS.notifications().retention()).isEqualTo(Duration.ofDays(7));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "url: ftp://hooks.example/x | notifications.endpoints[0].url must be an http:// or https:// URL",
            "url: hooks.example | notifications.endpoints[0].url must be an http:// or https:// URL",
            "events: [io.berth.image.pushd] | notifications.endpoints[0].events: unknown event type 'io.berth.image.pushd'",
            "repositories: ['Team/*'] | notifications.endpoints[0].repositories: 'Team/*' is not a repository glob",
            "format: json | notifications.endpoints[0].format must be cloudevents or distribution, got json",
            "timeout: soon | notifications.endpoints[0].timeout must be a duration",
            "timeout: 0s | notifications.endpoints[0].timeout must be positive",
            "batch: 0 | notifications.endpoints[0].batch must be a number of events from 1 to 100",
            "batch: 101 | notifications.endpoints[0].batch must be a number of events from 1 to 100",
            "batch: many | notifications.endpoints[0].batch must be a number of events from 1 to 100",
            "batch: 2.5 | notifications.endpoints[0].batch must be a number of events from 1 to 100",
            "retries: 3 | unknown key 'notifications.endpoints[].retries'",
            "secret: '' | notifications.endpoints[0].secret must not be empty",
            "headers: {Host: elsewhere} | notifications.endpoints[0].headers: 'Host' cannot be set",
            "headers: {berth-signature: x} | notifications.endpoints[0].headers: 'berth-signature' cannot be set",
            "headers: {Access-Control-Allow-Origin: x} | headers: 'Access-Control-Allow-Origin' cannot be set",
            "headers: {'a b': x} | notifications.endpoints[0].headers: 'a b' is not a header name",
            "headers: {X-Token: \"a\\nb\"} | notifications.endpoints[0].headers: the value of 'X-Token' must be one line",
            "name: a/b | notifications.endpoints[0].name is required: letters, digits",
    })
    void aMistakeInAnEndpointIsRefusedNamingItsField(String line, String message) throws Exception {
        String url = line.startsWith("url:") ? "" : "\n      url: http://127.0.0.1:9000/x";
        String name = line.startsWith("name:") ? "" : "\n      name: hook";
        assertThatThrownBy(() -> load("notifications:\n  endpoints:\n    - " + line + url + name + "\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void anEndpointWithoutANameIsRefused() {
        assertThatThrownBy(() -> load("notifications:\n  endpoints:\n    - url: http://127.0.0.1:9000/x\n"))
                .hasMessageContaining("notifications.endpoints[0].name is required");
    }

    @Test
    void twoEndpointsMayNotShareAName() {
        assertThatThrownBy(() -> load("""
                notifications:
                  endpoints:
                    - {name: a, url: http://127.0.0.1:9000/one}
                    - {name: a, url: http://127.0.0.1:9000/two}
                """)).hasMessageContaining("notifications.endpoints[1].name: 'a' names another endpoint too");
        assertThatThrownBy(() -> load("notifications:\n  retention: forever\n"))
                .hasMessageContaining("notifications.retention must be a duration");
        assertThatThrownBy(() -> load("notifications:\n  endpoint: []\n"))
                .hasMessageContaining("unknown key 'notifications.endpoint'");
    }

    private Config load(String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("berth.yaml"), yaml);
        return Config.DEFAULTS.withYaml(file);
    }
}
