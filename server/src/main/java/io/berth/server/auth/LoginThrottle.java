package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Optional;

/**
 * Slows down password guessing per source address: each failed login in the window makes the answer to the next
 * failure wait longer (up to two seconds), and past {@link #LIMIT} failures the address's logins are
 * refused outright until the window has passed since its last failure.
 *
 * <p>A failure counts once per credential: the same user name and password failing again within the window is
 * the same mistake, not another guess. containerd sends one login as {@code POST /token} and then
 * {@code GET /token}, and clients retry; counting each of those would lock an address out after a few typos.
 */
public final class LoginThrottle {
    public static final int LIMIT = 10;
    public static final Duration WINDOW = Duration.ofMinutes(5);
    private static final Duration STEP = Duration.ofMillis(200);
    private static final int MAX_STEPS = 10;

    /**
     * One address's failures in the window: 64 bits of a hash of each distinct credential that failed (at most
     * {@link #LIMIT}, so an entry stays small however many addresses send guesses), and when the last one did.
     */
    private static final class Failures {
        final long[] credentials = new long[LIMIT];
        int count;
        long lastCountedNanos;

        /** Adds the credential unless it is known or the address is already locked out; whether it was added. */
        boolean add(long credential) {
            for (int i = 0; i < count; i++) {
                if (credentials[i] == credential) {
                    return false;
                }
            }
            if (count == LIMIT) {
                return false;
            }
            credentials[count++] = credential;
            return true;
        }
    }

    private final Cache<String, Failures> failures;
    private final Duration window;
    private final Duration step;
    private final Ticker ticker;

    public LoginThrottle() {
        this(WINDOW, STEP, Ticker.systemTicker());
    }

    LoginThrottle(Duration window, Duration step, Ticker ticker) {
        this.failures = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(100_000).ticker(ticker).build();
        this.window = window;
        this.step = step;
        this.ticker = ticker;
    }

    /** How long logins from this address stay refused, rounded up to whole seconds; empty when they are not. */
    public Optional<Duration> blockedFor(String address) {
        Failures entry = failures.getIfPresent(address);
        if (entry == null) {
            return Optional.empty();
        }
        synchronized (entry) {
            if (entry.count < LIMIT) {
                return Optional.empty();
            }
            long remaining = entry.lastCountedNanos + window.toNanos() - ticker.read();
            if (remaining <= 0) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofSeconds((remaining + 999_999_999L) / 1_000_000_000L));
        }
    }

    /**
     * Records a failure of {@code credential} (a hash identifying user name and password, never the password) and
     * returns how long to hold the answer back. A credential that already failed in the window is not counted
     * again, and does not restart the window.
     */
    public Duration failed(String address, String credential) {
        long hashed = hash(credential);
        Failures entry = failures.asMap().computeIfAbsent(address, key -> new Failures());
        int count;
        synchronized (entry) {
            if (entry.add(hashed)) {
                entry.lastCountedNanos = ticker.read();
                failures.put(address, entry); // restarts the window
            }
            count = entry.count;
        }
        return step.multipliedBy(Math.min(count, MAX_STEPS));
    }

    private static long hash(String credential) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
