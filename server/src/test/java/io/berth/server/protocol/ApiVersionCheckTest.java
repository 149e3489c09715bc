package io.berth.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Distribution spec, "Determining Support": {@code GET /v2/}. */
class ApiVersionCheckTest extends PerBackendRegistryTest {
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
