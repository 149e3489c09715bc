package io.berth.server;

import io.berth.server.http.PathParameterRefusal;
import io.berth.server.tls.TlsContextFactory;
import java.nio.ByteBuffer;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;

/**
 * The one port Berth serves on: HTTP/1.1 and HTTP/2, either in cleartext (HTTP/2 as h2c) or, when TLS is configured,
 * only over TLS (HTTP/2 as h2, chosen by ALPN). Both carry the same HTTP settings. A client speaking the other scheme
 * gets a {@code 400} that says so ({@link SchemeMismatch}).
 */
public final class Listener {
    private static final int INPUT_BUFFER_SIZE = 64 * 1024;

    private Listener() {
    }

    /** A connector for the configured address; with TLS, reads the PEM files and fails here if they are bad. */
    public static ServerConnector create(Server server, Config config) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        http.addCustomizer(new PathParameterRefusal());
        ServerConnector connector;
        if (config.tls().enabled()) {
            connector = tls(server, http, config.tls());
        } else {
            HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(http);
            // A TLS handshake gets its own short answer; everything else goes on to HTTP/1.1 (and from there h2c).
            DetectorConnectionFactory tlsProbe = new DetectorConnectionFactory(SchemeMismatch.tlsOnCleartextPort());
            connector = new ServerConnector(server, tlsProbe, http11(http), h2c);
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        return connector;
    }

    private static ServerConnector tls(Server server, HttpConfiguration http, TlsConfig tls) {
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // Clients reach registries by IP address (127.0.0.1:5000, a node IP) as often as by name; the certificate
        // is checked by the client, and refusing a Host the certificate does not name would only break them.
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
        HttpConnectionFactory http11 = http11(http);
        // Named, so that the detector in front is not offered as a protocol of its own.
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(h2.getProtocol(), http11.getProtocol());
        // A client that does not use ALPN gets HTTP/1.1.
        alpn.setDefaultProtocol(http11.getProtocol());
        SslConnectionFactory ssl = new SslConnectionFactory(TlsContextFactory.forConfig(tls), alpn.getProtocol());
        SchemeMismatch cleartext = SchemeMismatch.cleartextOnTlsPort();
        // What does not start a TLS handshake gets an HTTP answer saying the port speaks HTTPS.
        DetectorConnectionFactory detector = new DetectorConnectionFactory(ssl) {
            @Override
            protected void nextProtocol(Connector connector, EndPoint endPoint, ByteBuffer buffer) {
                upgradeToConnectionFactory(cleartext, connector, endPoint);
            }
        };
        return new ServerConnector(server, detector, alpn, h2, http11);
    }

    /**
     * HTTP/1.1 with blob bodies read in large pieces: Jetty's default costs a system call, and a trip through its
     * content pipeline, per 16 KiB. 64 KiB uploads as fast as 256 KiB here, and each connection receiving a body
     * holds one such buffer of direct memory. Build it after any HTTP/2 factory on the same configuration: those set
     * the configuration's input buffer size to their own (one frame) when built.
     */
    private static HttpConnectionFactory http11(HttpConfiguration http) {
        HttpConnectionFactory http11 = new HttpConnectionFactory(http);
        http11.setInputBufferSize(INPUT_BUFFER_SIZE);
        return http11;
    }
}
