package io.berth.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.AuthConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issues and checks the JWTs of distribution's token auth ({@code docs/spec/auth/jwt.md}): signed with the key the
 * config names ({@code auth.token.signingKey}, shared by the nodes) or else with a P-256 key generated on first start
 * and kept in the data directory (ES256), checked against that key and the configured verification keys; claims {@code iss}, {@code sub},
 * {@code aud} (the service), {@code exp}, {@code nbf}, {@code iat}, {@code jti} and {@code access}. Tokens of
 * configured external issuers are accepted too, checked against their PEM key or JWKS file.
 */
public final class TokenService {
    public static final String KEY_FILE = "token-signing-key.pem";
    /**
     * In refresh and session tokens, a fingerprint of the credential the user had when logging in, so that changing
     * the password or removing the user ends the tokens issued before.
     */
    private static final String CREDENTIAL_CLAIM = "berth_credential";
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private record External(AuthConfig.ExternalIssuer config, List<Key> keys, JWKSet jwks) {
    }

    private final String issuer;
    private final String service;
    private final Duration ttl;
    private final Clock clock;
    private final TokenKeys keys;
    private final Map<String, External> external = new LinkedHashMap<>();

    private TokenService(AuthConfig auth, TokenKeys keys, Clock clock) {
        this.issuer = auth.issuer();
        this.service = auth.service();
        this.ttl = auth.tokenTtl().compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : auth.tokenTtl();
        this.clock = clock;
        this.keys = keys;
        for (AuthConfig.ExternalIssuer config : auth.externalIssuers()) {
            if (config.issuer().equals(issuer)) {
                throw new IllegalArgumentException("external issuer '" + config.issuer()
                        + "' has the same name as Berth's own issuer");
            }
            external.put(config.issuer(), loadExternal(config));
        }
    }

    /**
     * Loads the configured signing key, or else the one in {@code dataDir}, generating that on first start; and the
     * verification keys.
     *
     * @throws IllegalArgumentException when a key file is missing, unreadable or not a key Berth can use: the message
     *                                  names the file
     */
    public static TokenService open(Path dataDir, AuthConfig auth, Clock clock) {
        try {
            Path signingKey = auth.signingKey() != null ? auth.signingKey() : generated(dataDir.resolve(KEY_FILE));
            return new TokenService(auth, TokenKeys.load(signingKey, auth.verificationKeys()), clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String service() {
        return service;
    }

    public Duration ttl() {
        return ttl;
    }

    /**
     * The public keys that verify Berth's tokens (the signing key's first, then the verification keys), for a
     * registry or tool that checks them.
     */
    public JWKSet publicKeys() {
        return keys.published();
    }

    public String issueAccess(Identity who, List<Scope> access, Instant now) {
        List<Object> claim = new ArrayList<>();
        for (Scope scope : access) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", scope.type());
            entry.put("name", scope.name());
            entry.put("actions", scope.actions().stream().sorted().toList());
            claim.add(entry);
        }
        return sign(claims(who.subject(), now, ttl).claim("access", claim).build());
    }

    /**
     * The tokens that stand for a login rather than for access: valid while the holder's credential keeps the
     * fingerprint it had at the login (see {@link Authenticator#refresh}). Each kind is marked by a claim of its own,
     * so that none can be used as an access token or as the other kind.
     */
    public enum Login {
        /** Docker's refresh token ({@code offline_token}), traded at {@code /token} for access tokens. */
        REFRESH("berth_refresh", Duration.ofDays(30)),
        /** The web UI's session cookie. */
        SESSION("berth_session", Duration.ofHours(12));

        private final String claim;
        private final Duration ttl;

        Login(String claim, Duration ttl) {
            this.claim = claim;
            this.ttl = ttl;
        }
    }

    /** A refresh token, valid while the holder's credential keeps the fingerprint {@code credential}. */
    public String issueRefresh(Identity who, String credential, Instant now) {
        return issueLogin(Login.REFRESH, who, credential, now);
    }

    /** A token of the kind {@code kind}, valid while the holder's credential keeps the fingerprint {@code credential}. */
    public String issueLogin(Login kind, Identity who, String credential, Instant now) {
        return sign(claims(who.subject(), now, kind.ttl).claim(kind.claim, true)
                .claim(CREDENTIAL_CLAIM, credential).build());
    }

    private JWTClaimsSet.Builder claims(String subject, Instant now, Duration lifetime) {
        return new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(service)
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(UUID.randomUUID().toString());
    }

    private String sign(JWTClaimsSet claims) {
        JWSHeader header = new JWSHeader.Builder(keys.algorithm()).type(JOSEObjectType.JWT)
                .keyID(keys.signingKey().getKeyID()).build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(keys.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a token failed", e);
        }
        return jwt.serialize();
    }

    /** Checks an access token from Berth or an external issuer. */
    public VerifiedToken verifyAccess(String token) throws InvalidTokenException {
        SignedJWT jwt = parse(token);
        JWTClaimsSet claims = claimsOf(jwt);
        String tokenIssuer = claims.getIssuer();
        boolean own = issuer.equals(tokenIssuer);
        if (own) {
            verifyOwn(jwt);
            checkTimesAndAudience(claims, service);
            for (Login kind : Login.values()) {
                if (claims.getClaim(kind.claim) != null) {
                    throw new InvalidTokenException("a login token is not an access token");
                }
            }
        } else {
            External issuerConfig = tokenIssuer == null ? null : external.get(tokenIssuer);
            if (issuerConfig == null) {
                throw new InvalidTokenException("unknown issuer");
            }
            verifyExternal(jwt, issuerConfig);
            checkTimesAndAudience(claims, issuerConfig.config().audience());
        }
        String subject = claims.getSubject() == null ? "" : claims.getSubject();
        return new VerifiedToken(tokenIssuer, subject, accessOf(claims), claims.getExpirationTime().toInstant(), own);
    }

    /** What a login token of this registry says: who it was issued to, and the fingerprint of their credential. */
    public record LoginToken(String subject, String credential) {
    }

    /**
     * Checks a refresh token issued here: signature, times, audience. Whether its credential is still the user's is
     * for the caller to decide. A token that fails after its signature checked out names its subject in the
     * exception.
     */
    public LoginToken verifyRefresh(String token) throws InvalidTokenException {
        return verifyLogin(Login.REFRESH, token);
    }

    /** Checks a login token of the kind {@code kind}, as {@link #verifyRefresh} does a refresh token. */
    public LoginToken verifyLogin(Login kind, String token) throws InvalidTokenException {
        SignedJWT jwt = parse(token);
        JWTClaimsSet claims = claimsOf(jwt);
        if (!issuer.equals(claims.getIssuer()) || !Boolean.TRUE.equals(claims.getClaim(kind.claim))) {
            throw new InvalidTokenException("not a " + kind.name().toLowerCase(Locale.ROOT)
                    + " token of this registry");
        }
        verifyOwn(jwt);
        String subject = claims.getSubject();
        if (subject == null || subject.isEmpty()) {
            throw new InvalidTokenException("refresh token without a subject");
        }
        try {
            checkTimesAndAudience(claims, service);
        } catch (InvalidTokenException e) {
            throw new InvalidTokenException(e.getMessage(), subject);
        }
        return new LoginToken(subject, claims.getClaim(CREDENTIAL_CLAIM) instanceof String credential
                ? credential : null);
    }

    private static SignedJWT parse(String token) throws InvalidTokenException {
        try {
            return SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        }
    }

    private static JWTClaimsSet claimsOf(SignedJWT jwt) throws InvalidTokenException {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed claims");
        }
    }

    private static void verifySignature(SignedJWT jwt, JWSVerifier verifier) throws InvalidTokenException {
        try {
            if (!verifier.supportedJWSAlgorithms().contains(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
                throw new InvalidTokenException("bad signature");
            }
        } catch (JOSEException e) {
            throw new InvalidTokenException("bad signature");
        }
    }

    /** Checks the signature of a token of this registry, by the key its header names. */
    private void verifyOwn(SignedJWT jwt) throws InvalidTokenException {
        JWSVerifier verifier = keys.verifier(jwt.getHeader().getKeyID(), jwt.getHeader().getAlgorithm());
        if (verifier == null) {
            throw new InvalidTokenException("signed by a key this registry does not know");
        }
        verifySignature(jwt, verifier);
    }

    private void verifyExternal(SignedJWT jwt, External issuerConfig) throws InvalidTokenException {
        List<Key> candidates = new ArrayList<>(issuerConfig.keys());
        if (issuerConfig.jwks() != null) {
            String keyId = jwt.getHeader().getKeyID();
            for (JWK jwk : issuerConfig.jwks().getKeys()) {
                if (keyId == null || keyId.equals(jwk.getKeyID())) {
                    candidates.add(publicKeyOf(jwk));
                }
            }
        }
        DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
        for (Key key : candidates) {
            try {
                verifySignature(jwt, factory.createJWSVerifier(jwt.getHeader(), key));
                return;
            } catch (JOSEException | InvalidTokenException e) {
                // try the next key
            }
        }
        throw new InvalidTokenException("bad signature");
    }

    private void checkTimesAndAudience(JWTClaimsSet claims, String audience) throws InvalidTokenException {
        Instant now = clock.instant();
        Date expires = claims.getExpirationTime();
        if (expires == null || expires.toInstant().plus(CLOCK_SKEW).isBefore(now)) {
            throw new InvalidTokenException("expired");
        }
        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && notBefore.toInstant().minus(CLOCK_SKEW).isAfter(now)) {
            throw new InvalidTokenException("not valid yet");
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(audience)) {
            throw new InvalidTokenException("wrong audience");
        }
    }

    private static List<Scope> accessOf(JWTClaimsSet claims) throws InvalidTokenException {
        Object access = claims.getClaim("access");
        List<Scope> scopes = new ArrayList<>();
        if (access == null) {
            return scopes;
        }
        if (!(access instanceof List<?> entries)) {
            throw new InvalidTokenException("malformed access claim");
        }
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> map) || !(map.get("type") instanceof String type)
                    || !(map.get("name") instanceof String name)) {
                throw new InvalidTokenException("malformed access claim");
            }
            List<String> actions = new ArrayList<>();
            if (map.get("actions") instanceof List<?> list) {
                list.forEach(action -> actions.add(String.valueOf(action)));
            }
            scopes.add(new Scope(type, name, new java.util.LinkedHashSet<>(actions)));
        }
        return scopes;
    }

    // ---- keys

    /** The key file in the data directory, generated when it does not exist yet. */
    private static Path generated(Path file) throws IOException {
        if (Files.exists(file)) {
            return file;
        }
        KeyPair keys;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            keys = generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a P-256 key", e);
        }
        String pem = pem("PRIVATE KEY", keys.getPrivate().getEncoded()) + pem("PUBLIC KEY", keys.getPublic().getEncoded());
        Files.createDirectories(file.getParent());
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var channel = java.nio.channels.FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(pem.getBytes(StandardCharsets.US_ASCII)));
            channel.force(true);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            Files.delete(temporary); // another process made one first: use theirs
        }
        return file;
    }

    private static External loadExternal(AuthConfig.ExternalIssuer config) {
        try {
            List<Key> keys = new ArrayList<>();
            if (config.publicKey() != null) {
                Map<String, byte[]> blocks = pemBlocks(Files.readString(config.publicKey(), StandardCharsets.US_ASCII));
                if (blocks.containsKey("CERTIFICATE")) {
                    keys.add(CertificateFactory.getInstance("X.509").generateCertificate(
                            new java.io.ByteArrayInputStream(blocks.get("CERTIFICATE"))).getPublicKey());
                } else if (blocks.containsKey("PUBLIC KEY")) {
                    keys.add(publicKey(blocks.get("PUBLIC KEY")));
                } else {
                    throw new IllegalArgumentException(config.publicKey() + ": expected a PUBLIC KEY or CERTIFICATE");
                }
            }
            JWKSet jwks = config.jwks() == null ? null : JWKSet.load(config.jwks().toFile());
            return new External(config, keys, jwks);
        } catch (IOException | ParseException | java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load the keys of token issuer '" + config.issuer() + "': "
                    + e.getMessage(), e);
        }
    }

    private static PublicKey publicKey(byte[] spki) throws java.security.GeneralSecurityException {
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(spki));
            } catch (java.security.spec.InvalidKeySpecException e) {
                // try the next algorithm
            }
        }
        throw new java.security.spec.InvalidKeySpecException("not an EC, RSA or Ed25519 public key");
    }

    private static Key publicKeyOf(JWK jwk) throws InvalidTokenException {
        try {
            return switch (jwk) {
                case ECKey ec -> ec.toECPublicKey();
                case com.nimbusds.jose.jwk.RSAKey rsa -> rsa.toRSAPublicKey();
                default -> throw new InvalidTokenException("unsupported key type " + jwk.getKeyType());
            };
        } catch (JOSEException e) {
            throw new InvalidTokenException("unusable key " + jwk.getKeyID());
        }
    }

    private static Map<String, byte[]> pemBlocks(String text) {
        Map<String, byte[]> blocks = new LinkedHashMap<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            blocks.putIfAbsent(m.group(1), Base64.getMimeDecoder().decode(m.group(2)));
        }
        return blocks;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
