package io.berth.registry.metadata;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The lock that makes garbage collections on one database take turns, also across processes: on PostgreSQL a
 * session advisory lock held on a connection of its own; on SQLite an operating-system lock on a file beside the
 * database (the {@code berth gc} command may run while a server does). Both go away with a process that dies.
 */
final class CollectorLocks {
    private static final long ADVISORY_KEY = 0x62657274_6763L; // "bert" "gc"

    private final Dialect dialect;
    private final HikariDataSource pool;
    private final Path lockFile;
    private final AtomicBoolean heldInProcess = new AtomicBoolean();

    CollectorLocks(String url, Dialect dialect, HikariDataSource pool) {
        this.dialect = dialect;
        this.pool = pool;
        this.lockFile = dialect == Dialect.SQLITE ? sqliteLockFile(url) : null;
    }

    /** The database file's path plus {@code .gc-lock}; null for an in-memory database, which no process shares. */
    private static Path sqliteLockFile(String url) {
        String file = url.substring("jdbc:sqlite:".length());
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.startsWith("file:")) {
            file = file.substring("file:".length());
        }
        if (file.isEmpty() || file.equals(":memory:")) {
            return null;
        }
        return Path.of(file + ".gc-lock");
    }

    Optional<CollectorLock> tryLock() {
        if (!heldInProcess.compareAndSet(false, true)) {
            return Optional.empty();
        }
        try {
            Optional<CollectorLock> lock = dialect == Dialect.POSTGRESQL ? advisory()
                    : lockFile == null ? Optional.of(() -> { }) : file();
            if (lock.isEmpty()) {
                heldInProcess.set(false);
                return lock;
            }
            CollectorLock inner = lock.get();
            return Optional.of(() -> {
                try {
                    inner.close();
                } finally {
                    heldInProcess.set(false);
                }
            });
        } catch (RuntimeException e) {
            heldInProcess.set(false);
            throw e;
        }
    }

    private Optional<CollectorLock> advisory() {
        try {
            Connection connection = pool.getConnection();
            boolean locked;
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_try_advisory_lock(" + ADVISORY_KEY + ")")) {
                locked = rs.next() && rs.getBoolean(1);
            } catch (SQLException | RuntimeException e) {
                connection.close();
                throw e;
            }
            if (!locked) {
                connection.close();
                return Optional.empty();
            }
            return Optional.of(() -> unlock(connection));
        } catch (SQLException e) {
            throw new MetadataException("could not take the garbage collection lock", e);
        }
    }

    private void unlock(Connection connection) {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_unlock(" + ADVISORY_KEY + ")");
        } catch (SQLException e) {
            // The lock belongs to the session: a connection that could not unlock must not go back to the pool.
            pool.evictConnection(connection);
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // an evicted or broken connection: its session, and the lock with it, ends anyway
        }
    }

    private Optional<CollectorLock> file() {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return Optional.empty();
            }
            FileChannel held = channel;
            return Optional.of(() -> {
                try {
                    held.close(); // releases the lock
                } catch (IOException e) {
                    // closing a lock file only fails when the file system does, and then the lock goes with the process
                }
            });
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel); // another store in this process holds it
            return Optional.empty();
        } catch (IOException e) {
            closeQuietly(channel);
            throw new MetadataException("could not take the garbage collection lock " + lockFile, e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing held yet
            }
        }
    }
}
