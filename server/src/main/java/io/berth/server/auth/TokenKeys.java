package io.berth.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import io.berth.server.tls.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The keys of Berth's own tokens: the one that signs them, and every public key that verifies them (the signing
 * key's and the configured verification keys, for key rotation). Each key is named by its RFC 7638 thumbprint, so
 * every node that reads the same file gives it the same {@code kid}, and Distribution's {@code jwks} option, which
 * picks keys by {@code kid}, finds it.
 *
 * <p>Keys are read from PEM as openssl writes them: PKCS#8 {@code PRIVATE KEY} ({@code openssl genpkey}), SEC1
 * {@code EC PRIVATE KEY} ({@code openssl ecparam -genkey}), PKCS#1 {@code RSA PRIVATE KEY}; verification keys may
 * also be a {@code PUBLIC KEY} or a {@code CERTIFICATE}. EC keys on P-256, P-384 and P-521 sign ES256, ES384 and
 * ES512; RSA keys of 2048 bits or more sign RS256. Every failure names the file.
 */
final class TokenKeys {
    /** A public key that verifies tokens, with the algorithm it verifies. */
    private record Verifying(JWK jwk, JWSAlgorithm algorithm, JWSVerifier verifier) {
    }

    private final JWK signingKey;
    private final JWSAlgorithm algorithm;
    private final JWSSigner signer;
    private final Map<String, Verifying> verifying = new LinkedHashMap<>();
    private final JWKSet published;

    private TokenKeys(JWK signingKey, List<JWK> others) throws JOSEException {
        this.signingKey = signingKey;
        this.algorithm = (JWSAlgorithm) signingKey.getAlgorithm();
        this.signer = switch (signingKey) {
            case ECKey ec -> new ECDSASigner(ec);
            case RSAKey rsa -> new RSASSASigner(rsa);
            default -> throw new IllegalStateException("no signer for " + signingKey.getKeyType());
        };
        List<JWK> publicKeys = new ArrayList<>();
        for (JWK key : concat(signingKey, others)) {
            JWK publicKey = key.toPublicJWK();
            if (verifying.containsKey(publicKey.getKeyID())) {
                continue; // the same key named twice, or the signing key also listed for verification
            }
            JWSVerifier verifier = switch (publicKey) {
                case ECKey ec -> new ECDSAVerifier(ec);
                case RSAKey rsa -> new RSASSAVerifier(rsa);
                default -> throw new IllegalStateException("no verifier for " + publicKey.getKeyType());
            };
            verifying.put(publicKey.getKeyID(), new Verifying(publicKey, (JWSAlgorithm) publicKey.getAlgorithm(),
                    verifier));
            publicKeys.add(publicKey);
        }
        this.published = new JWKSet(publicKeys);
    }

    private static List<JWK> concat(JWK first, List<JWK> rest) {
        List<JWK> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }

    /**
     * Reads the signing key from {@code signingKeyFile} and the public halves of {@code verificationKeyFiles}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static TokenKeys load(Path signingKeyFile, List<Path> verificationKeyFiles) {
        JWK signing = signingKey(signingKeyFile);
        List<JWK> others = new ArrayList<>();
        for (Path file : verificationKeyFiles) {
            others.add(verificationKey(file));
        }
        try {
            return new TokenKeys(signing, others);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("token signing key " + signingKeyFile + " cannot sign: "
                    + e.getMessage(), e);
        }
    }

    JWK signingKey() {
        return signingKey;
    }

    JWSAlgorithm algorithm() {
        return algorithm;
    }

    JWSSigner signer() {
        return signer;
    }

    /** The public keys as a JWKS: the signing key's first, then the verification keys. */
    JWKSet published() {
        return published;
    }

    /**
     * The verifier for a token whose header names {@code keyId} and {@code algorithm}; null when no key of that id
     * verifies that algorithm. A token without a key id is checked against the signing key.
     */
    JWSVerifier verifier(String keyId, JWSAlgorithm algorithm) {
        Verifying key = verifying.get(keyId == null ? signingKey.getKeyID() : keyId);
        return key == null || !key.algorithm().equals(algorithm) ? null : key.verifier();
    }

    // ---- reading PEM files

    private static JWK signingKey(Path file) {
        PemContents contents = read(file, "token signing key");
        if (contents.privateKey == null) {
            throw new IllegalArgumentException("token signing key " + file + " holds no private key (expected "
                    + "-----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----; create one with `" + HOW + "`)");
        }
        return jwk(file, "token signing key", contents.privateKey, publicHalf(file, contents.privateKey));
    }

    private static JWK verificationKey(Path file) {
        PemContents contents = read(file, "token verification key");
        PublicKey publicKey = contents.privateKey != null ? publicHalf(file, contents.privateKey) : contents.publicKey;
        if (publicKey == null) {
            throw new IllegalArgumentException("token verification key " + file + " holds no key (expected a PEM "
                    + "PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY, PUBLIC KEY or CERTIFICATE)");
        }
        return jwk(file, "token verification key", null, publicKey);
    }

    /** The command in messages that says how to make a key Berth takes. */
    static final String HOW = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out token-key.pem";

    private static final class PemContents {
        PrivateKey privateKey;
        PublicKey publicKey;
    }

    /** The private key, or else the first public key or certificate, of a PEM file. */
    private static PemContents read(Path file, String what) {
        PemContents contents = new PemContents();
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        int privateKeys = 0;
        for (Object object : PemFiles.read(file, what)) {
            try {
                switch (object) {
                    // SEC1 and PKCS#1: the public half is derived below, as SEC1 may leave it out.
                    case PEMKeyPair pair -> {
                        privateKeys++;
                        contents.privateKey = converter.getPrivateKey(pair.getPrivateKeyInfo());
                    }
                    case PrivateKeyInfo info -> {
                        privateKeys++;
                        contents.privateKey = converter.getPrivateKey(info);
                    }
                    case SubjectPublicKeyInfo info when contents.publicKey == null ->
                            contents.publicKey = converter.getPublicKey(info);
                    case X509CertificateHolder certificate when contents.publicKey == null ->
                            contents.publicKey = converter.getPublicKey(certificate.getSubjectPublicKeyInfo());
                    case PKCS8EncryptedPrivateKeyInfo encrypted -> throw encrypted(file, what);
                    case PEMEncryptedKeyPair encrypted -> throw encrypted(file, what);
                    default -> {
                        // EC PARAMETERS (openssl ecparam writes them first), further certificates: not the key
                    }
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(what + " " + file + " holds a key of an unsupported type: "
                        + e.getMessage(), e);
            }
        }
        if (privateKeys > 1) {
            throw new IllegalArgumentException(what + " " + file + " holds " + privateKeys
                    + " private keys; expected one");
        }
        return contents;
    }

    private static IllegalArgumentException encrypted(Path file, String what) {
        return new IllegalArgumentException(what + " " + file + " is encrypted; give an unencrypted key (e.g. "
                + "`openssl pkey -in " + file + " -out token-key.pem`)");
    }

    /**
     * The public key of a private key, computed from it: a key file needs nothing but the private key, and a public
     * key written beside it cannot disagree.
     */
    private static PublicKey publicHalf(Path file, PrivateKey key) {
        try {
            return switch (key) {
                case RSAPrivateCrtKey rsa -> KeyFactory.getInstance("RSA").generatePublic(
                        new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
                case ECPrivateKey ec -> {
                    ECParameterSpec params = ec.getParams();
                    org.bouncycastle.math.ec.ECPoint q = new FixedPointCombMultiplier()
                            .multiply(EC5Util.convertSpec(params).getG(), ec.getS()).normalize();
                    yield KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(
                            q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), params));
                }
                default -> throw unsupported(file, "token signing key", key.getAlgorithm());
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("token signing key " + file + " is not a usable key: "
                    + e.getMessage(), e);
        }
    }

    /** The JWK of a key pair (or of a public key alone), with its algorithm, use and thumbprint key id. */
    private static JWK jwk(Path file, String what, PrivateKey privateKey, PublicKey publicKey) {
        try {
            return switch (publicKey) {
                case ECPublicKey ec -> {
                    Curve curve = Curve.forECParameterSpec(ec.getParams());
                    JWSAlgorithm algorithm = curve == null ? null : switch (curve.getName()) {
                        case "P-256" -> JWSAlgorithm.ES256;
                        case "P-384" -> JWSAlgorithm.ES384;
                        case "P-521" -> JWSAlgorithm.ES512;
                        default -> null;
                    };
                    if (algorithm == null) {
                        throw new IllegalArgumentException(what + " " + file + " is an EC key on a curve JWS does "
                                + "not sign with; use P-256 (`" + HOW + "`), P-384 or P-521");
                    }
                    ECKey.Builder builder = new ECKey.Builder(curve, ec).algorithm(algorithm)
                            .keyUse(KeyUse.SIGNATURE);
                    if (privateKey != null) {
                        builder.privateKey((ECPrivateKey) privateKey);
                    }
                    yield builder.keyIDFromThumbprint().build();
                }
                case RSAPublicKey rsa -> {
                    if (rsa.getModulus().bitLength() < 2048) {
                        throw new IllegalArgumentException(what + " " + file + " is an RSA key of "
                                + rsa.getModulus().bitLength() + " bits; JWS needs at least 2048");
                    }
                    RSAKey.Builder builder = new RSAKey.Builder(rsa).algorithm(JWSAlgorithm.RS256)
                            .keyUse(KeyUse.SIGNATURE);
                    if (privateKey != null) {
                        builder.privateKey(privateKey);
                    }
                    yield builder.keyIDFromThumbprint().build();
                }
                default -> throw unsupported(file, what, publicKey.getAlgorithm());
            };
        } catch (JOSEException e) {
            throw new IllegalArgumentException(what + " " + file + " is not a usable key: " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException unsupported(Path file, String what, String algorithm) {
        return new IllegalArgumentException(what + " " + file + " is an " + algorithm + " key; tokens are signed "
                + "with EC (P-256, P-384, P-521) or RSA keys; create one with `" + HOW + "`");
    }
}
