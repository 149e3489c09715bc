package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.slf4j.LoggerFactory;

/**
 * A registry whose data directory is on a filesystem that fills up (a small tmpfs): a full disk is the server's
 * failure, never the client's, so every push answers a 5xx that says storage is full, none is acknowledged, the log
 * says so once rather than with a stack trace per request, and pushes work again once there is room. Not run on S3,
 * which has no disk of the server's to fill (the protocol suite's S3 run covers the rest).
 */
@EnabledOnOs(OS.LINUX)
class FullDiskTest {
    private static final String OCTETS = "application/octet-stream";

    private Path mount;
    private TestRegistry registry;
    private RegistryClient client;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void startOnASmallFilesystem() throws IOException {
        mount = Files.createTempDirectory("berth-full-disk-");
        ExternalTools.mountTmpfs(mount, "8m");
        registry = TestRegistry.start(Backend.SQLITE, config -> config.withData(mount.resolve("data")));
        client = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void unmount() throws IOException {
        logger.detachAppender(log);
        try {
            if (registry != null) {
                registry.close();
            }
        } finally {
            ExternalTools.unmount(mount);
            Files.delete(mount);
        }
    }

    @Test
    void everyPushToAFullDiskAnswers507SayingStorageIsFullAndTheLogSaysItOnce() throws IOException {
        client.pushImage("before", "latest");
        String upload = client.startUpload("full");
        Path filler = fill();
        byte[] blob = TestContent.randomBytes(1024 * 1024);
        String digest = sha256(blob);

        List<HttpResponse<byte[]>> pushes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pushes.add(client.post("/v2/full/blobs/uploads/?digest=" + digest, blob, "Content-Type", OCTETS));
        }
        pushes.add(client.patch(upload, blob, "Content-Type", OCTETS));
        pushes.add(client.put(RegistryClient.withQuery(upload, "digest=" + digest), blob, "Content-Type", OCTETS));
        HttpResponse<byte[]> session = client.post("/v2/full/blobs/uploads/", new byte[0]);
        if (session.statusCode() != 202) { // SQLite may still find room for the session's row in pages it holds
            pushes.add(session);
        }

        for (HttpResponse<byte[]> push : pushes) {
            assertThat(push.statusCode()).as(body(push)).isEqualTo(507);
            assertThat(json(push).path("errors").path(0).path("message").asString()).as(body(push))
                    .contains("storage is full");
        }
        assertThat(client.head("/v2/full/blobs/" + digest).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> status = client.get(upload);
        assertThat(status.statusCode()).as(body(status)).isEqualTo(204);
        assertThat(RegistryClient.header(status, "Range")).isEqualTo("0-0"); // nothing acknowledged
        List<ILoggingEvent> errors = log.list.stream().filter(event -> event.getLevel() == Level.ERROR).toList();
        assertThat(errors).as("%s", errors).hasSize(1);
        assertThat(errors.getFirst().getFormattedMessage()).contains("storage is full");
        assertThat(errors.getFirst().getThrowableProxy()).isNull();

        Files.delete(filler);
        HttpResponse<byte[]> again = client.post("/v2/full/blobs/uploads/?digest=" + digest, blob,
                "Content-Type", OCTETS);
        assertThat(again.statusCode()).as(body(again)).isEqualTo(201);
        assertThat(client.get("/v2/full/blobs/" + digest).body()).isEqualTo(blob);
    }

    /** Writes a file until the filesystem has no room left. */
    private Path fill() throws IOException {
        Path filler = mount.resolve("filler");
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left on device");
        }
        return filler;
    }
}
