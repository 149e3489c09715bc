package io.berth.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A throwaway certificate authority for TLS tests: issues server certificates for {@code 127.0.0.1} and
 * {@code localhost} and client certificates by common name, writes them as PEM files the way operators have them, and
 * builds client {@link SSLContext}s that trust it.
 */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    public enum KeyType { EC, RSA }

    /** How a private key is written: PKCS#8 ({@code PRIVATE KEY}) or its algorithm's own (PKCS#1, SEC1). */
    public enum KeyFormat { PKCS8, TRADITIONAL }

    /** A certificate with its private key, in memory and as PEM files (the certificate file holds the chain). */
    public record Credentials(X509Certificate certificate, PrivateKey key, Path certificateFile, Path keyFile) {}

    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final Path caFile;

    private TestPki(Path dir, KeyPair caKeys, X509Certificate ca, Path caFile) {
        this.dir = dir;
        this.caKeys = caKeys;
        this.ca = ca;
        this.caFile = caFile;
    }

    /** A new authority named {@code name}; its certificate is written to {@code dir/ca.crt}. */
    public static TestPki create(Path dir, String name) {
        KeyPair keys = generate(KeyType.EC);
        X500Name subject = new X500Name("CN=" + name + ",O=Berth tests");
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(subject, subject, keys)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate certificate = sign(builder, keys.getPrivate());
            Files.createDirectories(dir);
            Path file = dir.resolve("ca.crt");
            writePem(file, List.of(certificate));
            return new TestPki(dir, keys, certificate, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    /** {@code ca.crt}: this authority's certificate, PEM. */
    public Path caFile() {
        return caFile;
    }

    /** A server certificate for IP 127.0.0.1 and DNS localhost; the certificate file holds leaf and CA. */
    public Credentials server(KeyType type, KeyFormat format) {
        GeneralNames names = new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")});
        int usage = type == KeyType.RSA ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                : KeyUsage.digitalSignature;
        return issue("server-" + type.name().toLowerCase(Locale.ROOT) + "-" + format.name().toLowerCase(Locale.ROOT),
                "CN=localhost", type, format, KeyPurposeId.id_kp_serverAuth, usage, names);
    }

    /** A client certificate whose subject is {@code CN=<commonName>}. */
    public Credentials client(String commonName) {
        return issue("client-" + commonName, "CN=" + commonName + ",O=Berth tests", KeyType.EC, KeyFormat.PKCS8,
                KeyPurposeId.id_kp_clientAuth, KeyUsage.digitalSignature, null);
    }

    /** A client context that trusts this authority and presents no certificate. */
    public SSLContext clientContext() {
        return sslContext(ca, null);
    }

    /** A client context that trusts this authority and presents {@code identity}. */
    public SSLContext clientContext(Credentials identity) {
        return sslContext(ca, identity);
    }

    /**
     * A client context that trusts {@code trusted} only and presents {@code identity} when it is not null, even to a
     * server whose list of accepted authorities does not name its issuer: the JDK would otherwise send no
     * certificate, and a test of how the server treats a foreign one would test nothing.
     */
    public static SSLContext sslContext(X509Certificate trusted, Credentials identity) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", trusted);
            TrustManagerFactory trustManagers =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(identity == null ? null : new KeyManager[] {new Presenting(identity)},
                    trustManagers.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key manager with one client certificate that it offers whatever the server asks for. */
    private static final class Presenting extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final Credentials identity;

        Presenting(Credentials identity) {
            this.identity = identity;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return new X509Certificate[] {identity.certificate()};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return identity.key();
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    private Credentials issue(String name, String subject, KeyType type, KeyFormat format, KeyPurposeId purpose,
            int usage, GeneralNames alternativeNames) {
        KeyPair keys = generate(type);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    new X500Name(subject), keys)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(ca));
            if (alternativeNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames);
            }
            X509Certificate certificate = sign(builder, caKeys.getPrivate());
            Path certificateFile = dir.resolve(name + ".crt");
            writePem(certificateFile, List.of(certificate, ca));
            Path keyFile = dir.resolve(name + ".key");
            writeKey(keyFile, keys, format);
            return new Credentials(certificate, keys.getPrivate(), certificateFile, keyFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes a key as PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY},
     * after an {@code EC PARAMETERS} block, as {@code openssl ecparam -genkey} writes it).
     */
    private static void writeKey(Path file, KeyPair keys, KeyFormat format) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(out)) {
            if (format == KeyFormat.PKCS8) {
                pem.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
            } else if (keys.getPrivate() instanceof ECPrivateKey ec) {
                // Written by hand: the JDK's encoding leaves curve and public key to the PKCS#8 wrapper, and a SEC1
                // key without them could not be read back.
                SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
                ASN1Encodable curve = publicKey.getAlgorithm().getParameters();
                pem.writeObject(new PemObject("EC PARAMETERS", curve.toASN1Primitive().getEncoded()));
                pem.writeObject(new PemObject("EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(
                        ec.getParams().getOrder().bitLength(), ec.getS(), publicKey.getPublicKeyData(), curve)
                        .getEncoded()));
            } else {
                pem.writeObject(keys.getPrivate()); // BouncyCastle writes an RSA key as PKCS#1
            }
        }
    }

    private static void writePem(Path file, List<X509Certificate> certificates) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(out)) {
            for (X509Certificate certificate : certificates) {
                pem.writeObject(certificate);
            }
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws GeneralSecurityException {
        try {
            // The authority's key is always EC.
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair generate(KeyType type) {
        try {
            if (type == KeyType.RSA) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
