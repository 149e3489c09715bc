package io.berth.server.scale;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.PrivatePostgres;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata database restarts under a running node: while it is down, requests that need it are answered 503 with
 * {@code Retry-After} and the spec's error body (not 500, and not a hang); once it is back they succeed, with no
 * restart of the node. The database is a PostgreSQL server of this test's own, never the shared one.
 */
class DatabaseRestartTest {
    @Test
    void requestsFailCleanlyWhileTheDatabaseIsDownAndSucceedOnceItIsBack(@TempDir Path data) throws Exception {
        try (PrivatePostgres postgres = PrivatePostgres.start();
             BerthServer node = BerthServer.start(Config.DEFAULTS.withListen("127.0.0.1:0")
                     .withData(data).withMetadata(postgres.url(), null, null));
             ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            RegistryClient client = new RegistryClient("http://127.0.0.1:" + node.port(),
                    RegistryClient.newHttpClient());
            String repository = "restart/app";
            RegistryClient.PushedImage before = client.pushImage(repository, "before");

            postgres.halt();
            List<Supplier<HttpResponse<byte[]>>> calls = List.of(
                    () -> client.get("/v2/" + repository + "/tags/list"),
                    () -> client.post("/v2/" + repository + "/blobs/uploads/", new byte[0]),
                    () -> client.get("/v2/_catalog"),
                    () -> client.get("/v2/" + repository + "/manifests/missing", "Accept", TestContent.OCI_MANIFEST),
                    () -> client.putManifest(repository, "during", TestContent.OCI_MANIFEST, before.manifest()));
            List<Future<HttpResponse<byte[]>>> during = new ArrayList<>();
            for (Supplier<HttpResponse<byte[]>> call : calls) {
                during.add(requests.submit(call::get));
            }
            List<HttpResponse<byte[]>> answers = new ArrayList<>();
            for (Future<HttpResponse<byte[]>> answer : during) {
                answers.add(answer.get());
            }
            postgres.resume();

            for (HttpResponse<byte[]> answer : answers) {
                String request = answer.request().method() + " " + answer.uri().getPath();
                RegistryClient.assertError(answer, 503, "UNKNOWN");
                assertThat(RegistryClient.json(answer).get("errors").get(0).get("message").asString()).as(request)
                        .isEqualTo("the metadata database is unavailable: try again later");
                assertThat(header(answer, "Retry-After")).as(request).isEqualTo("5");
            }
            // Back, with the same node: the pool reconnects on its own.
            RegistryClient.PushedImage after = client.pushImage(repository, "after");
            HttpResponse<byte[]> tags = client.get("/v2/" + repository + "/tags/list");
            assertThat(tags.statusCode()).as(body(tags)).isEqualTo(200);
            assertThat(RegistryClient.json(tags).get("tags").toString()).isEqualTo("[\"after\",\"before\"]");
            assertThat(client.get("/v2/" + repository + "/manifests/" + after.digest(), "Accept",
                    TestContent.OCI_MANIFEST).body()).isEqualTo(after.manifest());
        }
    }
}
