package io.berth.server.tls;

import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * Who a client proved to be with its TLS certificate (mTLS). The handshake has already checked the certificate against
 * the configured client authorities, so a certificate present here is a verified one.
 */
public final class ClientIdentity {
    private ClientIdentity() {
    }

    /**
     * The subject common name (CN) of the client's certificate; empty on a cleartext connection, when the client sent
     * no certificate, or when the subject has no CN or more than one (an ambiguous name is no identity).
     */
    public static Optional<String> commonName(Request request) {
        return certificate(request).flatMap(ClientIdentity::commonName);
    }

    /** The client's own certificate (the leaf of the chain it presented), as verified during the handshake. */
    private static Optional<X509Certificate> certificate(Request request) {
        // Set by SecureRequestCustomizer on every request that arrived over TLS.
        if (!(request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData session)) {
            return Optional.empty();
        }
        X509Certificate[] chain = session.peerCertificates();
        return chain == null || chain.length == 0 ? Optional.empty() : Optional.of(chain[0]);
    }

    private static Optional<String> commonName(X509Certificate certificate) {
        RDN[] names = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        if (names.length != 1 || names[0].isMultiValued()) {
            return Optional.empty();
        }
        // The plain text of the name, not its RFC 4514 form: "Smith, Ann" stays as it is, without escapes.
        return names[0].getFirst().getValue() instanceof ASN1String text ? Optional.of(text.getString())
                : Optional.empty();
    }
}
