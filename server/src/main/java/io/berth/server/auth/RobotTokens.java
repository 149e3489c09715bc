package io.berth.server.auth;

import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.Robot;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Robot accounts: named credentials for CI and automation, limited to some repositories and actions, optionally
 * expiring. A client logs in with username {@code robot$<name>} and the token as password.
 *
 * <p>Tokens are 256 random bits, so a single SHA-256 is enough to keep them unusable if the database leaks (a slow
 * password hash protects guessable secrets; nothing here is guessable), and it keeps each login cheap. Only that
 * hash is stored; the token itself is returned once by {@link #create} and never logged.
 */
public final class RobotTokens {
    /** Login username = {@code USER_PREFIX + name}, as in Harbor. */
    public static final String USER_PREFIX = "robot$";
    /** All actions a robot may be granted, in the order they are shown. */
    private static final List<String> ACTIONS = List.of("pull", "push", "delete", "admin");
    // The prefix lets secret scanners (and people) recognise a leaked token.
    private static final String TOKEN_PREFIX = "berth_rt_";
    private static final int TOKEN_BYTES = 32;
    private static final int MAX_NAME_LENGTH = 64;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MetadataStore store;
    private final Clock clock;

    public RobotTokens(MetadataStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A new robot with its login; {@code token} exists nowhere else, so show it once and drop it. */
    public record Created(Robot robot, String username, String token) {
        @Override
        public String toString() {
            return "Created[robot=" + robot + ", username=" + username + ", token=<hidden>]";
        }
    }

    /**
     * Creates a robot and its token.
     *
     * @param repositoryPatterns globs over repository names, such as {@code team/*} or {@code **}
     * @param actions            some of pull, push, delete, admin
     * @param expiresIn          null for a token that never expires
     * @throws IllegalArgumentException when an argument is invalid
     * @throws IllegalStateException    when a robot of that name exists already
     */
    public Created create(String name, List<String> repositoryPatterns, List<String> actions, Duration expiresIn) {
        validateName(name);
        List<String> patterns = patterns(repositoryPatterns);
        List<String> granted = actions(actions);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS); // what the store keeps
        Instant expiresAt = expiresAt(now, expiresIn);
        byte[] secret = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(secret);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Robot robot = new Robot(name, HexFormat.of().formatHex(sha256(token)), patterns, granted, now, expiresAt);
        store.createRobot(robot);
        return new Created(robot, USER_PREFIX + name, token);
    }

    /**
     * The robot that {@code username} and {@code password} log in as: present only when the password is the token
     * of the robot the username names, and that robot has not expired.
     */
    public Optional<Robot> authenticate(String username, String password) {
        if (username == null || password == null || !username.startsWith(USER_PREFIX)
                || !password.startsWith(TOKEN_PREFIX)) {
            return Optional.empty();
        }
        String name = username.substring(USER_PREFIX.length());
        byte[] hash = sha256(password);
        // The lookup is by hash, so its timing tells nothing about the token; the constant-time comparison keeps
        // it that way should the lookup ever match loosely.
        return store.robotByTokenHash(HexFormat.of().formatHex(hash))
                .filter(robot -> MessageDigest.isEqual(hash, HexFormat.of().parseHex(robot.tokenHash())))
                .filter(robot -> robot.name().equals(name))
                .filter(robot -> !robot.expiredAt(clock.instant()));
    }

    /** Every robot, by name, expired ones included. */
    public List<Robot> list() {
        return store.robots();
    }

    /** Deletes a robot; its token stops working at once. False when there is no robot of that name. */
    public boolean revoke(String name) {
        return store.deleteRobot(name);
    }

    private static void validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a robot needs a name");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("robot name '" + name + "' is longer than " + MAX_NAME_LENGTH
                    + " characters");
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid robot name '" + name + "': use lowercase letters and digits, "
                    + "separated by single '.', '_' or '-'");
        }
    }

    private static List<String> patterns(List<String> repositoryPatterns) {
        if (repositoryPatterns == null || repositoryPatterns.isEmpty()) {
            throw new IllegalArgumentException("a robot needs at least one repository pattern (e.g. team/* or **)");
        }
        Set<String> patterns = new LinkedHashSet<>();
        for (String pattern : repositoryPatterns) {
            if (pattern == null || pattern.isBlank()) {
                throw new IllegalArgumentException("a repository pattern must not be blank");
            }
            String stripped = pattern.strip();
            if (stripped.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException("repository pattern '" + stripped + "' contains whitespace");
            }
            patterns.add(stripped);
        }
        return List.copyOf(patterns);
    }

    private static List<String> actions(List<String> actions) {
        if (actions == null || actions.isEmpty()) {
            throw new IllegalArgumentException("a robot needs at least one action ("
                    + String.join(", ", ACTIONS) + ")");
        }
        Set<String> requested = new LinkedHashSet<>();
        for (String action : actions) {
            String stripped = action == null ? "" : action.strip();
            if (!ACTIONS.contains(stripped)) {
                throw new IllegalArgumentException("unknown action '" + stripped + "' (use "
                        + String.join(", ", ACTIONS) + ")");
            }
            requested.add(stripped);
        }
        List<String> granted = new ArrayList<>(ACTIONS);
        granted.retainAll(requested);
        return List.copyOf(granted);
    }

    private static Instant expiresAt(Instant now, Duration expiresIn) {
        if (expiresIn == null) {
            return null;
        }
        if (expiresIn.isNegative() || expiresIn.isZero()) {
            throw new IllegalArgumentException("expiry must be positive, got " + expiresIn);
        }
        try {
            Instant expiresAt = now.plus(expiresIn);
            expiresAt.toEpochMilli(); // what the store keeps must exist
            return expiresAt;
        } catch (DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException("expiry " + expiresIn + " is too far in the future (use never)");
        }
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
