package io.berth.server.protocol;

import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.berth.server.protocol.RegistryClient.PushedImage;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A push or delete is in the audit log by the time its client has the answer: a client (or a test, or an operator
 * reading the log) that saw the 201 or 202 finds the change audited. The audit log here is slow on purpose, so that
 * a registry answering first and auditing afterwards is caught every time. On SQLite and the filesystem only: the
 * order of audit and answer is the server's, the same on every store.
 */
class AuditBeforeAnswerTest {
    private static final long SLOW_LOG_MILLIS = 300;

    private static final Logger AUDIT = (Logger) LoggerFactory.getLogger("berth.audit");
    /** Runs before the capture's appender, which logback calls in the order they were added. */
    private static final AppenderBase<ILoggingEvent> SLOW_SINK = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            try {
                Thread.sleep(SLOW_LOG_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    };

    private static TestRegistry registry;
    private static RegistryClient client;
    private static AuditCapture audit;

    @BeforeAll
    static void start() {
        SLOW_SINK.start();
        AUDIT.addAppender(SLOW_SINK);
        audit = new AuditCapture();
        registry = TestRegistry.start(Backend.SQLITE);
        client = new RegistryClient(registry.url());
    }

    @AfterAll
    static void stop() {
        registry.close();
        audit.close();
        AUDIT.detachAppender(SLOW_SINK);
    }

    @Test
    void aPushAndTheDeletesAreAuditedBeforeTheyAreAnswered() {
        String repository = uniqueRepository("audited");
        PushedImage image = client.pushImage(repository, "v1");
        assertThat(audited("push", repository)).containsExactly("v1");

        HttpResponse<byte[]> blob = client.delete("/v2/" + repository + "/blobs/" + TestContent.sha256(image.config()));
        assertThat(blob.statusCode()).isEqualTo(202);
        assertThat(audited("delete", repository)).containsExactly(TestContent.sha256(image.config()));

        HttpResponse<byte[]> manifest = client.delete("/v2/" + repository + "/manifests/" + image.digest());
        assertThat(manifest.statusCode()).isEqualTo(202);
        assertThat(audited("delete", repository)).containsExactly(TestContent.sha256(image.config()), image.digest());
    }

    /** The references of the audited {@code event}s in {@code repository}, in order. */
    private static List<String> audited(String event, String repository) {
        return audit.lines().stream()
                .map(line -> TestContent.parse(line.getBytes(StandardCharsets.UTF_8)))
                .filter(line -> line.path("event").asString().equals(event)
                        && line.path("repository").asString().equals(repository))
                .map(line -> line.path("reference").asString())
                .toList();
    }
}
