package io.berth.server;

import java.nio.file.Path;

/**
 * TLS for the listener: a PEM certificate chain and private key; optionally a PEM bundle of certificate
 * authorities whose client certificates are accepted (mTLS), and whether a client must present one.
 */
public record TlsConfig(Path certificate, Path privateKey, Path clientCa, boolean requireClientCertificate) {

    public static final TlsConfig NONE = new TlsConfig(null, null, null, false);

    public boolean enabled() {
        return certificate != null;
    }

    /** Both files or neither: a certificate without its key (or the reverse) is a mistake, not a choice. */
    public TlsConfig validated() {
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate and a private key");
        }
        if (clientCa != null && certificate == null) {
            throw new IllegalArgumentException("client certificates (mTLS) need TLS: give a certificate and key");
        }
        if (requireClientCertificate && clientCa == null) {
            throw new IllegalArgumentException("requiring client certificates needs the authorities that issue them"
                    + " (tls.clientCa, --tls-client-ca)");
        }
        return this;
    }

    /** Reads a {@code clientAuth} setting: {@code optional} (the default) or {@code require}. */
    public static boolean parseClientAuth(String value) {
        if (value == null || value.equals("optional")) {
            return false;
        }
        if (value.equals("require")) {
            return true;
        }
        // A typo must not quietly turn "require" into "optional".
        throw new IllegalArgumentException("client certificate mode must be 'optional' or 'require', got '"
                + value + "'");
    }
}
