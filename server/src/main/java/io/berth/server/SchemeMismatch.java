package io.berth.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection that speaks the other scheme than the port: a TLS handshake on the cleartext port, or cleartext HTTP
 * on the TLS port. Either gets one fixed {@code 400} response and is closed, as Go's HTTP server (and so
 * Distribution) answers cleartext on its TLS port. Go clients read that answer as "server gave HTTP response to
 * HTTPS client", the hint users know; a TLS alert or Jetty's parse error would print raw bytes instead. The first
 * such connection is logged at INFO and the rest at DEBUG: dockerd probes HTTPS before HTTP on every command against
 * an insecure registry, and a line per command would drown the log.
 */
final class SchemeMismatch extends AbstractConnectionFactory implements ConnectionFactory.Detecting {
    private static final Logger LOG = LoggerFactory.getLogger(SchemeMismatch.class);
    /** What a client may still send after the answer is read and thrown away, before the connection is closed. */
    private static final int MAX_DISCARDED = 64 * 1024;
    private static final byte TLS_HANDSHAKE = 0x16;
    private static final byte TLS_MAJOR_VERSION = 0x03;

    private final byte[] response;
    private final String logLine;
    private final AtomicBoolean logged = new AtomicBoolean();

    private SchemeMismatch(String protocol, String body, String logLine) {
        super(protocol);
        byte[] text = body.getBytes(StandardCharsets.US_ASCII);
        this.response = ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + text.length + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
        this.logLine = logLine;
    }

    /** For the cleartext port: recognises a TLS handshake record (what dockerd's HTTPS probe sends first). */
    static SchemeMismatch tlsOnCleartextPort() {
        return new SchemeMismatch("tls-on-cleartext", "Client sent an HTTPS request to an HTTP server.\n",
                "a client at {} began a TLS handshake on this cleartext HTTP port and was answered 400 (docker "
                        + "tries HTTPS first on an insecure registry, then HTTP); the next ones are logged at DEBUG");
    }

    /** For the TLS port, after TLS was not detected: the answer Go's HTTP server gives cleartext on its TLS port. */
    static SchemeMismatch cleartextOnTlsPort() {
        return new SchemeMismatch("cleartext-on-tls", "Client sent an HTTP request to an HTTPS server.\n",
                "a client at {} sent cleartext to this HTTPS port and was answered 400 (it should use https://); "
                        + "the next ones are logged at DEBUG");
    }

    @Override
    public Detection detect(ByteBuffer buffer) {
        if (buffer.remaining() < 1) {
            return Detection.NEED_MORE_BYTES;
        }
        if (buffer.get(buffer.position()) != TLS_HANDSHAKE) {
            return Detection.NOT_RECOGNIZED;
        }
        if (buffer.remaining() < 2) {
            return Detection.NEED_MORE_BYTES;
        }
        return buffer.get(buffer.position() + 1) == TLS_MAJOR_VERSION ? Detection.RECOGNIZED
                : Detection.NOT_RECOGNIZED;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        if (logged.compareAndSet(false, true)) {
            LOG.info(logLine, endPoint.getRemoteSocketAddress());
        } else {
            LOG.debug(logLine, endPoint.getRemoteSocketAddress());
        }
        return new Answer(endPoint, connector);
    }

    /**
     * Writes the answer, shuts the output and reads until the client closes: closing with unread bytes would send
     * a reset, which may destroy the answer before the client reads it. The connector's idle timeout ends a client
     * that never closes.
     */
    private final class Answer extends AbstractConnection implements Connection.UpgradeTo {
        private final ByteBuffer discard = BufferUtil.allocate(4096);
        private int discarded;

        Answer(EndPoint endPoint, Connector connector) {
            super(endPoint, connector.getExecutor());
        }

        /** What was read while detecting the scheme: not needed, the answer is the same whatever it says. */
        @Override
        public void onUpgradeTo(ByteBuffer buffer) {
        }

        @Override
        public void onOpen() {
            super.onOpen();
            getEndPoint().write(Callback.from(this::answered, failure -> getEndPoint().close(failure)),
                    ByteBuffer.wrap(response));
        }

        private void answered() {
            getEndPoint().shutdownOutput();
            fillInterested();
        }

        @Override
        public void onFillable() {
            try {
                while (true) {
                    BufferUtil.clear(discard);
                    int read = getEndPoint().fill(discard);
                    if (read < 0 || discarded > MAX_DISCARDED) {
                        getEndPoint().close();
                        return;
                    }
                    if (read == 0) {
                        fillInterested();
                        return;
                    }
                    discarded += read;
                }
            } catch (java.io.IOException e) {
                getEndPoint().close(e);
            }
        }
    }
}
