package io.berth.server.auth;

import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.challenge;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Behind a configured reverse proxy, throttling, audit and the token realm see the client, not the proxy. */
class TrustedProxyTest {

    @Test
    void forwardedHeadersFromATrustedProxyNameTheClientAndItsUrl() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withAuth(
                AuthFixture.auth().withTrustedProxies(List.of("10.0.0.0/8", "127.0.0.1"))));
             AuditCapture audit = new AuditCapture()) {
            RegistryClient client = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
            var response = client.get("/v2/", "X-Forwarded-Proto", "https",
                    "X-Forwarded-Host", "registry.example.com", "X-Forwarded-For", "203.0.113.9, 10.1.2.3");
            assertThat(challenge(response)).containsEntry("realm", "https://registry.example.com/token");

            client.get("/v2/", "Authorization", basic("alice", "wrong"),
                    "X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.1.2.3");
            assertThat(audit.lines()).anySatisfy(line -> assertThat(line)
                    .contains("\"event\":\"login\"", "\"source\":\"203.0.113.9\"", "\"result\":\"failure\""));
        }
    }

    @Test
    void forwardedHeadersFromAnyoneElseAreIgnored() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withAuth(
                AuthFixture.auth().withTrustedProxies(List.of("10.0.0.0/8"))));
             AuditCapture audit = new AuditCapture()) {
            RegistryClient client = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
            var response = client.get("/v2/", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example",
                    "X-Forwarded-For", "203.0.113.9");
            assertThat(challenge(response)).containsEntry("realm", registry.url() + "/token");
            client.get("/v2/", "Authorization", basic("alice", "wrong"), "X-Forwarded-For", "203.0.113.9");
            assertThat(audit.lines()).anySatisfy(line -> assertThat(line)
                    .contains("\"event\":\"login\"", "\"source\":\"127.0.0.1\""));
        }
    }

    @Test
    void anEntryThatIsNoAddressOrRangeEndsStartup() {
        assertThatThrownBy(() -> TestRegistry.start(Backend.SQLITE, config -> config.withAuth(
                AuthFixture.auth().withTrustedProxies(List.of("proxy.internal")))))
                .hasMessageContaining("trusted proxy 'proxy.internal'");
        assertThatThrownBy(() -> TestRegistry.start(Backend.SQLITE, config -> config.withAuth(
                AuthFixture.auth().withTrustedProxies(List.of("10.0.0.0/33")))))
                .hasMessageContaining("prefix length");
    }
}
