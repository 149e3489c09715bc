package io.berth.registry.metadata;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for SQLite. The writer connection commits with {@code synchronous=NORMAL}, which appends the
 * transaction to the write-ahead log without an fsync; {@link #awaitDurable} then fsyncs the log before the writer's
 * caller goes on, so nothing is acknowledged before it is on disk, as with {@code synchronous=FULL}. Commits that
 * finish while an fsync runs share the next one: with several pushes in flight, the single writer connection no
 * longer holds the database's write lock through one fsync per transaction.
 *
 * <p>The log is append-only between checkpoints, so an fsync that starts after a commit's frames were written
 * covers that commit and every earlier one. SQLite itself syncs the log before a checkpoint copies it into the
 * database, the database after it, and the log's header before the log is reused; a log that is gone was
 * checkpointed and synced when its last connection closed.
 *
 * <p>A failed fsync leaves the log's state on disk unknown (the kernel may drop the dirty pages it could not
 * write): that commit and every later one fail until the process restarts and SQLite recovers from what the log
 * holds.
 */
final class WalSync {
    /** What makes the log durable: an fsync of its file. */
    @FunctionalInterface
    interface Sync {
        void run() throws IOException;
    }

    private final Sync sync;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition synced = lock.newCondition();
    private long committed;
    private long durable;
    private boolean syncing;
    private IOException failure;

    WalSync(Path database) {
        this(() -> fsync(database.resolveSibling(database.getFileName() + "-wal")));
    }

    WalSync(Sync sync) {
        this.sync = sync;
    }

    /** Returns once every transaction this process committed before the call is durable. */
    void awaitDurable() throws IOException {
        lock.lock();
        try {
            long ticket = ++committed;
            while (durable < ticket) {
                if (failure != null) {
                    throw new IOException("the metadata log could not be written to disk; restart the server",
                            failure);
                }
                if (syncing) {
                    synced.awaitUninterruptibly();
                    continue;
                }
                syncing = true;
                long upTo = committed;
                lock.unlock();
                IOException failed = new IOException("the metadata log's fsync did not finish");
                try {
                    sync.run();
                    failed = null;
                } catch (IOException e) {
                    failed = e;
                } finally {
                    // Whatever ended the fsync, waiting commits learn of it: none is left waiting for a sync that
                    // no one runs.
                    lock.lock();
                    syncing = false;
                    if (failed != null) {
                        failure = failed;
                    } else {
                        durable = Math.max(durable, upTo);
                    }
                    synced.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static void fsync(Path log) throws IOException {
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            channel.force(false);
        } catch (NoSuchFileException e) {
            // checkpointed into the database (and synced) when the last connection closed
        }
    }
}
