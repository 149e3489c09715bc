package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.ChildServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.util.MemoryUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Startup} spares a start, and that it changes nothing else. */
class StartupTest {
    @TempDir
    Path dir;

    @Test
    void jettyIsToldWhatItWouldHaveFoundItself() {
        // This JVM never ran Startup: Jetty asked the MBean server.
        assertThat(System.getProperty(Startup.JETTY_REFERENCES_PER_CACHE_LINE)).isNull();
        assertThat(Startup.referencesPerCacheLine()).isEqualTo(MemoryUtils.getReferencesPerCacheLine());
    }

    @Test
    void theServerStartsWithoutJmxAndWithoutStandInLoggers() throws Exception {
        Path classes = dir.resolve("classes.log");
        Path output = dir.resolve("server.log");
        try (ChildServer server = ChildServer.start(dir.resolve("data"), Map.of(), output,
                List.of("-Xmx256m", "-Xlog:class+load=info:file=" + classes))) {
            assertThat(server.url()).isNotEmpty();
        }
        String loaded = Files.readString(classes);
        assertThat(loaded).contains("org.eclipse.jetty.util.MemoryUtils ", "org.eclipse.jetty.http.MimeTypes ",
                "org.sqlite.SQLiteJDBCLoader ");
        assertThat(loaded).doesNotContain("com.sun.jmx.mbeanserver.JmxMBeanServer ");
        // SLF4J warns when it replays what was logged through a stand-in while another thread set logging up
        assertThat(Files.readString(output)).contains("Berth listening on").doesNotContain("SLF4J");
    }
}
