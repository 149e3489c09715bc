package io.berth.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per key, held only while someone uses it: a key's entry exists from its first {@link #lock} to its last
 * {@link Held#close}, so keys that clients make up (upload ids that do not exist, say) leave nothing behind.
 */
final class KeyedLocks {
    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** A held lock, released by {@link #close}. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Waits for {@code key}'s lock; close the answer to release it. */
    Held lock(String key) {
        Entry entry = entries.compute(key, (k, existing) -> {
            Entry e = existing == null ? new Entry() : existing;
            e.users++;
            return e;
        });
        entry.lock.lock();
        return () -> {
            entry.lock.unlock();
            entries.computeIfPresent(key, (k, e) -> --e.users == 0 ? null : e);
        };
    }

    /** How many keys have an entry: those locked or waited for right now. */
    int size() {
        return entries.size();
    }
}
