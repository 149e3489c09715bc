package io.berth.server.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads the PEM files operators have (what openssl, cert-manager, Let's Encrypt clients and step-ca write) into
 * in-memory key stores for the TLS engine. Keys: PKCS#8 {@code PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY}, SEC1
 * {@code EC PRIVATE KEY}; RSA, EC and EdDSA. Every failure names the file, because at startup that is the one thing
 * the operator needs to know.
 */
final class PemKeyStores {
    /**
     * The key stores live only in this process's memory; the password protects nothing and exists because the
     * PKCS#12 key store and the key manager factory insist on one.
     */
    static final char[] IN_MEMORY_PASSWORD = "berth".toCharArray();
    static final String KEY_ALIAS = "berth";

    private PemKeyStores() {
    }

    /** A key store holding one entry: the private key with its certificate chain, leaf first. */
    static KeyStore forCertificateAndKey(Path certificateFile, Path privateKeyFile) {
        List<X509Certificate> chain = certificates(certificateFile);
        PrivateKey key = privateKey(privateKeyFile);
        if (!belongTogether(key, chain.getFirst().getPublicKey())) {
            throw new IllegalArgumentException("TLS private key " + privateKeyFile
                    + " does not match the certificate in " + certificateFile
                    + " (the first certificate in the file must be the server's own)");
        }
        try {
            KeyStore store = emptyStore();
            store.setKeyEntry(KEY_ALIAS, key, IN_MEMORY_PASSWORD, chain.toArray(X509Certificate[]::new));
            return store;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS private key " + privateKeyFile + " and certificate "
                    + certificateFile + " cannot be used together: " + e.getMessage(), e);
        }
    }

    /** A trust store of every certificate in a PEM bundle, such as the authorities that issue client certificates. */
    static KeyStore forTrustedCertificates(Path bundle) {
        List<X509Certificate> certificates = certificates(bundle);
        try {
            KeyStore store = emptyStore();
            for (int i = 0; i < certificates.size(); i++) {
                store.setCertificateEntry("ca-" + i, certificates.get(i));
            }
            return store;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS certificate authorities in " + bundle + " cannot be used: "
                    + e.getMessage(), e);
        }
    }

    /** All certificates in a PEM file, in file order; anything else in the file is an error. */
    private static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object object : PemFiles.read(file, "TLS certificate file")) {
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new IllegalArgumentException("TLS certificate file " + file + " holds "
                        + (isPrivateKey(object) ? "a private key" : "a block that is not a certificate")
                        + "; only certificates (-----BEGIN CERTIFICATE-----) belong there");
            }
            try {
                certificates.add(converter.getCertificate(holder));
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("TLS certificate file " + file + " has an unreadable certificate: "
                        + e.getMessage(), e);
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("TLS certificate file " + file
                    + " holds no certificate (expected PEM blocks: -----BEGIN CERTIFICATE-----)");
        }
        return certificates;
    }

    /**
     * The one private key in a PEM file. Certificates and EC parameter blocks beside it are skipped: openssl writes
     * the latter, and some tools put key and chain in one file.
     */
    private static PrivateKey privateKey(Path file) {
        List<PrivateKeyInfo> keys = new ArrayList<>();
        for (Object object : PemFiles.read(file, "TLS private key file")) {
            switch (object) {
                // PKCS#1 and SEC1: only the private half is needed (SEC1 may even leave the public half out).
                case PEMKeyPair pair -> keys.add(pair.getPrivateKeyInfo());
                case PrivateKeyInfo info -> keys.add(info);
                case PKCS8EncryptedPrivateKeyInfo encrypted -> throw encrypted(file);
                case PEMEncryptedKeyPair encrypted -> throw encrypted(file);
                default -> {
                    // EC PARAMETERS, certificates: not the key
                }
            }
        }
        if (keys.size() != 1) {
            throw new IllegalArgumentException("TLS private key file " + file + " holds " + keys.size()
                    + " private keys; expected exactly one (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(keys.getFirst());
        } catch (IOException e) {
            throw new IllegalArgumentException("TLS private key file " + file + " holds a key of an unsupported type: "
                    + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException encrypted(Path file) {
        return new IllegalArgumentException("TLS private key file " + file
                + " is encrypted; give an unencrypted key (e.g. `openssl pkey -in " + file + " -out key.pem`)");
    }

    private static boolean isPrivateKey(Object pemObject) {
        return pemObject instanceof PEMKeyPair || pemObject instanceof PrivateKeyInfo
                || pemObject instanceof PKCS8EncryptedPrivateKeyInfo || pemObject instanceof PEMEncryptedKeyPair;
    }

    /**
     * Whether the key is the private half of the certificate's public key: sign with one, verify with the other. One
     * check that holds for every key type, where comparing key parameters would need a case per algorithm.
     */
    private static boolean belongTogether(PrivateKey key, PublicKey certified) {
        // By key type, not getAlgorithm(): a key BouncyCastle made says "ECDSA" where the JDK's says "EC".
        String algorithm = switch (key) {
            case java.security.interfaces.RSAKey rsa -> "SHA256withRSA";
            case java.security.interfaces.ECKey ec -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA name their own signature
        };
        byte[] probe = "berth key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certified);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new IllegalStateException("an empty in-memory key store cannot fail to load", e);
        }
        return store;
    }
}
