package io.berth.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Distribution spec, "Determining Support": {@code GET /v2/}. */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class ApiVersionCheckTest {
    @Parameter
    Backend backend;

    private static TestRegistry registry;
    private static RegistryClient client;

    @BeforeParameterizedClassInvocation
    static void startRegistry(Backend backend) {
        registry = TestRegistry.start(backend);
        client = new RegistryClient(registry.url());
    }

    @AfterParameterizedClassInvocation
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    @Test
    void getV2AnswersOkAndNamesTheRegistryApiVersion() {
        HttpResponse<byte[]> response = client.get("/v2/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
    }

    @Test
    void headV2AnswersOkWithTheSameHeader() {
        HttpResponse<byte[]> response = client.head("/v2/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
    }
}
