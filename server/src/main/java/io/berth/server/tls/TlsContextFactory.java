package io.berth.server.tls;

import io.berth.server.TlsConfig;
import java.security.KeyStore;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** The server side of TLS for a {@link TlsConfig}: our certificate and key, and which client certificates we accept. */
public final class TlsContextFactory {
    private TlsContextFactory() {
    }

    /**
     * Reads the PEM files now, so a missing, unreadable or mismatched file stops startup with its name rather than
     * failing every handshake later.
     */
    public static SslContextFactory.Server forConfig(TlsConfig tls) {
        KeyStore keyStore = PemKeyStores.forCertificateAndKey(tls.certificate(), tls.privateKey());
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(new String(PemKeyStores.IN_MEMORY_PASSWORD));
        // HTTP/2 forbids some cipher suites TLS 1.2 allows (RFC 9113, appendix A): offer the allowed ones first.
        ssl.setCipherComparator(HTTP2Cipher.COMPARATOR);
        if (tls.clientCa() != null) {
            ssl.setTrustStore(PemKeyStores.forTrustedCertificates(tls.clientCa()));
            // Either way a certificate the authorities did not issue fails the handshake; "want" lets a client
            // without any certificate through, to authenticate some other way.
            if (tls.requireClientCertificate()) {
                ssl.setNeedClientAuth(true);
            } else {
                ssl.setWantClientAuth(true);
            }
        }
        return ssl;
    }
}
