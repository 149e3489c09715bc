package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.registry.metadata.Robot;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns credentials into identities: passwords of users, robot tokens, bearer tokens. bcrypt is slow on purpose,
 * so a successful password check is remembered for a short while (keyed by a hash of the credentials, never the
 * credentials themselves); a robot revoked or a user removed loses access once that entry expires. Failed
 * password checks are throttled per source address and every check is audited.
 */
public final class Authenticator {
    private static final Duration REMEMBER_PASSWORD = Duration.ofSeconds(30);
    private static final Duration REMEMBER_TOKEN = Duration.ofMinutes(1);

    private final PasswordUsers users;
    private final RobotTokens robots;
    private final TokenService tokens;
    private final LoginThrottle throttle;
    private final AuditLog audit;
    private final Clock clock;
    private final Cache<String, Verified> passwords = Caffeine.newBuilder().expireAfterWrite(REMEMBER_PASSWORD)
            .maximumSize(10_000).build();
    private final Cache<String, Identity> sessions = Caffeine.newBuilder().expireAfterWrite(REMEMBER_PASSWORD)
            .maximumSize(10_000).build();
    private final Cache<String, VerifiedToken> bearers = Caffeine.newBuilder().expireAfterWrite(REMEMBER_TOKEN)
            .maximumSize(100_000).build();

    /**
     * Too many failed logins from this address: answer 429 without checking anything. The message says so and when
     * to retry, for clients that print only an error's message.
     */
    public static final class ThrottledException extends Exception {
        private final Duration retryAfter;

        ThrottledException(String source, Duration retryAfter) {
            super("too many failed logins from " + source + "; retry in " + retryAfter.toSeconds() + " seconds",
                    null, false, false);
            this.retryAfter = retryAfter;
        }

        /** How long until the address may log in again: the answer's {@code Retry-After}. */
        public Duration retryAfter() {
            return retryAfter;
        }
    }

    public Authenticator(PasswordUsers users, RobotTokens robots, TokenService tokens, LoginThrottle throttle,
                         AuditLog audit, Clock clock) {
        this.users = users;
        this.robots = robots;
        this.tokens = tokens;
        this.throttle = throttle;
        this.audit = audit;
        this.clock = clock;
    }

    public TokenService tokens() {
        return tokens;
    }

    /** A password check that succeeded, with the fingerprint of the credential it succeeded against. */
    private record Verified(Identity identity, String credential) {
    }

    /** A password check remembered from a moment ago, without blocking; null when there is none. */
    public Identity rememberedPassword(String username, String password) {
        Verified verified = passwords.getIfPresent(key(username, password));
        return verified == null ? null : verified.identity();
    }

    /** A bearer token verified a moment ago and still valid, without blocking; null when there is none. */
    public VerifiedToken rememberedBearer(String token) {
        VerifiedToken verified = bearers.getIfPresent(token);
        return verified != null && verified.expiresAt().isAfter(clock.instant()) ? verified : null;
    }

    /**
     * Checks a user's password or a robot's token (blocking: bcrypt, database, and the delay after a failure).
     *
     * @param method how the credentials came, for the audit log: basic, token
     */
    public Optional<Identity> password(String username, String password, String source, String method)
            throws ThrottledException {
        // Here, unlike on the non-blocking path, a remembered check counts only while the credential is unchanged:
        // an old password must not log in at /token, and so win a refresh token, after it was changed.
        String key = key(username, password);
        Verified remembered = passwords.getIfPresent(key);
        if (remembered != null && Optional.of(remembered.credential()).equals(credential(username))) {
            return Optional.of(remembered.identity());
        }
        Optional<Duration> blocked = throttle.blockedFor(source);
        if (blocked.isPresent()) {
            audit.login(method, username, source, false, "throttled");
            throw new ThrottledException(source, blocked.get());
        }
        Optional<Identity> identity = username.startsWith(RobotTokens.USER_PREFIX)
                ? robots.authenticate(username, password).map(Authenticator::robotIdentity)
                : users.authenticate(username, password);
        if (identity.isPresent()) {
            passwords.put(key, new Verified(identity.get(), credential(username).orElse("")));
            audit.login(method, identity.get().subject(), source, true, null);
            return identity;
        }
        Duration delay = throttle.failed(source, key);
        audit.login(method, username, source, false, "bad credentials");
        sleep(delay);
        return Optional.empty();
    }

    public VerifiedToken bearer(String token, String source) throws InvalidTokenException {
        VerifiedToken remembered = rememberedBearer(token);
        if (remembered != null) {
            return remembered;
        }
        try {
            VerifiedToken verified = tokens.verifyAccess(token);
            bearers.put(token, verified);
            return verified;
        } catch (InvalidTokenException e) {
            audit.login("bearer", null, source, false, e.getMessage());
            throw e;
        }
    }

    /** The user or robot a token was issued to, as it stands now; empty when it no longer exists. */
    public Optional<Identity> bySubject(String subject) {
        return account(subject).map(Account::identity);
    }

    /** A user or robot as it stands now, with a fingerprint of its credential. */
    private record Account(Identity identity, String credential) {
    }

    /** The user or robot {@code subject} names, read once; empty when there is none (or the robot expired). */
    private Optional<Account> account(String subject) {
        if (subject.startsWith(RobotTokens.USER_PREFIX)) {
            return robot(subject).map(robot -> new Account(robotIdentity(robot), fingerprint(robot.tokenHash())));
        }
        String hash = users.hashOf(subject);
        return hash == null ? Optional.empty() : users.find(subject).map(user -> new Account(user, fingerprint(hash)));
    }

    private Optional<Robot> robot(String subject) {
        String name = subject.substring(RobotTokens.USER_PREFIX.length());
        return robots.list().stream()
                .filter(robot -> robot.name().equals(name)
                        && (robot.expiresAt() == null || robot.expiresAt().isAfter(clock.instant())))
                .findFirst();
    }

    /**
     * A refresh token for someone who just logged in, tied to the credential they have now; empty for an identity
     * with no stored credential (anonymous, a certificate user the config does not name), which cannot refresh.
     */
    public Optional<String> refreshToken(Identity who, Instant now) {
        if (!who.authenticated()) {
            return Optional.empty();
        }
        return credential(who.subject()).map(credential -> tokens.issueRefresh(who, credential, now));
    }

    /**
     * The user or robot a refresh token was issued to, if the token is valid and their credential is the one they
     * logged in with: a password changed in the htpasswd file, or a user or robot removed, ends every refresh token
     * issued before. Audited either way, naming the subject whenever the token's signature checked out.
     *
     * @throws InvalidTokenException with a reason fit to show the client
     */
    public Identity refresh(String token, String source) throws InvalidTokenException {
        return loggedIn(TokenService.Login.REFRESH, token, source);
    }

    /** A web UI session for someone who just logged in; empty for an identity with no stored credential. */
    public Optional<String> sessionToken(Identity who, Instant now) {
        if (!who.authenticated()) {
            return Optional.empty();
        }
        return credential(who.subject())
                .map(credential -> tokens.issueLogin(TokenService.Login.SESSION, who, credential, now));
    }

    /**
     * The user or robot of a web UI session, checked as {@link #refresh} checks a refresh token. A session comes
     * with every page, so a check that succeeded is remembered for a short while and not audited: signing in was.
     */
    public Identity session(String token, String source) throws InvalidTokenException {
        Identity remembered = sessions.getIfPresent(token);
        if (remembered != null) {
            return remembered;
        }
        Identity identity = loggedIn(TokenService.Login.SESSION, token, source);
        sessions.put(token, identity);
        return identity;
    }

    private Identity loggedIn(TokenService.Login kind, String token, String source) throws InvalidTokenException {
        String method = kind.name().toLowerCase(Locale.ROOT);
        try {
            TokenService.LoginToken login = tokens.verifyLogin(kind, token);
            String subject = login.subject();
            Account account = account(subject)
                    .orElseThrow(() -> new InvalidTokenException(subject + " no longer exists", subject));
            if (login.credential() == null) {
                throw new InvalidTokenException("the " + method + " token of " + subject
                        + " comes from an older Berth and cannot be checked", subject);
            }
            if (!account.credential().equals(login.credential())) {
                throw new InvalidTokenException((subject.startsWith(RobotTokens.USER_PREFIX) ? "the token of "
                        : "the password of ") + subject + " changed after this login", subject);
            }
            if (kind == TokenService.Login.REFRESH) {
                audit.login(method, subject, source, true, null);
            }
            return account.identity();
        } catch (InvalidTokenException e) {
            audit.login(method, e.subject(), source, false, e.getMessage());
            throw e;
        }
    }

    /** The fingerprint of the credential a user or robot has now; empty when there is none. */
    private Optional<String> credential(String subject) {
        return account(subject).map(Account::credential);
    }

    /**
     * A short hash of a stored credential hash: it tells whether the credential changed and nothing about the
     * credential itself.
     */
    private static String fingerprint(String stored) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("berth refresh credential\0".getBytes(StandardCharsets.UTF_8));
            byte[] digest = sha.digest(stored.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A user named by a verified client certificate. */
    public Identity certificateUser(String commonName) {
        return users.certificateUser(commonName);
    }

    static Identity robotIdentity(Robot robot) {
        Identity.Grant grant = new Identity.Grant(robot.repositories().stream().map(RepositoryGlob::new).toList(),
                new java.util.HashSet<>(robot.actions()));
        return new Identity(Identity.Kind.ROBOT, robot.name(), java.util.Set.of(), List.of(grant));
    }

    private static String key(String username, String password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(username.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(password.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(Duration delay) {
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
