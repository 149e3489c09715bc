package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.registry.Registry;
import io.berth.registry.RegistryOptions;
import io.berth.registry.Uploads;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.auth.AuditLog;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An Error inside a request (the heap running out, say) still ends that request, and the server goes on. */
class ApiHandlerErrorTest {
    @TempDir
    Path data;

    @Test
    @Timeout(30)
    void anErrorWhileStoringABlobAnswers500AndTheServerGoesOn() throws Exception {
        BlobStore real = new FileSystemBlobStore(data.resolve("blobs"));
        BlobStore failing = (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(),
                new Class<?>[] {BlobStore.class}, (proxy, method, arguments) -> {
                    if (method.getName().equals("writeUpload")) {
                        throw new OutOfMemoryError("Java heap space (from the test)");
                    }
                    try {
                        return method.invoke(real, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (SqlMetadataStore metadata = SqlMetadataStore.open("jdbc:sqlite:" + data.resolve("metadata.db"), null,
                null)) {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            server.addConnector(connector);
            server.setHandler(ApiHandler.open(new Registry(failing, metadata, RegistryOptions.DEFAULTS),
                    new Uploads(failing, metadata, RegistryOptions.DEFAULTS), 4 * 1024 * 1024, new AuditLog(), null,
                    null, null, Monitoring.none()));
            server.start();
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                String base = "http://127.0.0.1:" + connector.getLocalPort();
                byte[] blob = "a blob the store cannot take".getBytes();
                HttpResponse<String> push = client.send(HttpRequest.newBuilder(
                                URI.create(base + "/v2/r/blobs/uploads/?digest=" + Digest.sha256(blob)))
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(push.statusCode()).isEqualTo(500);

                HttpResponse<String> base2 = client.send(HttpRequest.newBuilder(URI.create(base + "/v2/"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(base2.statusCode()).isEqualTo(200);
            } finally {
                server.stop();
            }
        }
    }
}
