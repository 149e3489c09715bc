package io.berth.registry.metadata;

import java.util.Optional;

/**
 * Failed logins per source, in the database the nodes share, for a login throttle that counts the guesses sent to
 * any node. A source's failures form one set: each distinct credential counted once, the set forgotten as a whole
 * when its last counted failure is older than the caller's window. Sources and credentials are hashes; times are
 * epoch milliseconds.
 */
public interface LoginFailures {
    /** How many distinct credentials of a source failed in its window, and when the last of them was counted. */
    record Tally(int count, long lastCountedAt) {
    }

    /** The source's failures, unless its last counted failure is before {@code since}. */
    Optional<Tally> tally(long source, long since);

    /**
     * Counts a failure of {@code credential} from {@code source} at {@code now}, unless that credential is already
     * counted or the set holds {@code limit}; a set whose last counted failure is before {@code since} is emptied
     * first. Returns the set after.
     */
    Tally add(long source, long credential, long now, long since, int limit);

    /** Forgets the sources whose last counted failure is before {@code before}; how many rows went. */
    int forget(long before);
}
