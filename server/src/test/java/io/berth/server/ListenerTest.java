package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestPki.Credentials;
import io.berth.server.testing.TestPki.KeyFormat;
import io.berth.server.testing.TestPki.KeyType;
import java.nio.file.Path;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenerTest {
    @TempDir
    Path dir;

    /** Each read of a blob body is one system call and one pass through Jetty's content pipeline. */
    @Test
    void http11ReadsBodiesInLargePiecesWithOrWithoutTls() {
        Credentials server = TestPki.create(dir.resolve("pki"), "Berth Test CA").server(KeyType.EC, KeyFormat.PKCS8);
        Config cleartext = Config.DEFAULTS.withListen("127.0.0.1:0");
        Config tls = cleartext.withTls(new TlsConfig(server.certificateFile(), server.keyFile(), null, false));

        for (Config config : new Config[] {cleartext, tls}) {
            ServerConnector connector = Listener.create(new Server(), config);
            HttpConnectionFactory http11 = connector.getConnectionFactory(HttpConnectionFactory.class);
            assertThat(http11.getInputBufferSize()).as("TLS " + config.tls().enabled()).isEqualTo(64 * 1024);
        }
    }
}
