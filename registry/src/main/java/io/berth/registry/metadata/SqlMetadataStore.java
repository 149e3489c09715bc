package io.berth.registry.metadata;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.registry.events.Event;
import io.berth.registry.events.EventLog;
import io.berth.registry.inventory.Inventory;
import io.berth.registry.events.EventType;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.sqlite.SQLiteJDBCLoader;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The metadata store on SQL: SQLite (embedded default: WAL, one writer connection, a small read pool) or
 * PostgreSQL (one pool shared by reads and writes; several servers may share the database).
 */
public final class SqlMetadataStore implements MetadataStore {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() { };
    private static final int RETRIES = 5;
    /** SQLSTATE serialization_failure: {@link #write} runs the transaction again. */
    static final String RETRY_STATE = "40001";
    /**
     * How long a request waits for a connection. SQLite's single writer connection is a queue that a burst of pushes
     * waits in, so the wait is long; a PostgreSQL pool of 16 is waited on that long only when the server is down or
     * restarting, and then a request should fail (503, which clients retry) before the client gives up on it.
     */
    private static final Duration SQLITE_CONNECTION_WAIT = Duration.ofSeconds(30);
    private static final Duration POSTGRESQL_CONNECTION_WAIT = Duration.ofSeconds(10);

    private final Dialect dialect;
    private final HikariDataSource writer;
    private final HikariDataSource reader;
    private final CollectorLocks collectorLocks;
    private final SqlEventLog events;
    private final SqlInventory inventory;
    private final SqlLoginFailures loginFailures;
    /** SQLite's group commit; null on PostgreSQL, which syncs its own log at each commit (in groups, too). */
    private volatile WalSync walSync;

    private SqlMetadataStore(String url, Dialect dialect, HikariDataSource writer, HikariDataSource reader) {
        this.dialect = dialect;
        this.writer = writer;
        this.reader = reader;
        this.collectorLocks = new CollectorLocks(url, dialect, writer);
        this.events = new SqlEventLog(this, dialect);
        this.inventory = new SqlInventory(this, dialect);
        this.loginFailures = new SqlLoginFailures(this, dialect);
    }

    /** Connects, migrates the schema, and returns the store. */
    public static SqlMetadataStore open(String url, String username, String password) {
        Dialect dialect = Dialect.of(url);
        HikariDataSource writer;
        HikariDataSource reader;
        if (dialect == Dialect.SQLITE) {
            writer = pool(url, username, password, "berth-sqlite-writer", 1, SQLITE_CONNECTION_WAIT);
            reader = pool(url, username, password, "berth-sqlite-reader", 4, SQLITE_CONNECTION_WAIT);
        } else {
            writer = pool(url, username, password, "berth-postgresql", 16, POSTGRESQL_CONNECTION_WAIT);
            reader = writer;
        }
        SqlMetadataStore store = new SqlMetadataStore(url, dialect, writer, reader);
        try {
            Path database = store.write(connection -> {
                Migrations.apply(connection, dialect);
                return dialect == Dialect.SQLITE ? databaseFile(connection) : null;
            });
            if (database != null) {
                store.walSync = new WalSync(database);
                store.walSync.awaitDurable(); // the migrations, committed before there was a WalSync
            }
        } catch (IOException e) {
            store.close();
            throw new MetadataException("metadata store could not be opened", e);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * Loads what {@link #open} needs of the database's driver ahead of it: SQLite's native library, which its driver
     * finds in its jar, extracts and loads (~0.1 s), so that a caller can have that done on another thread meanwhile.
     */
    public static void loadDriver(String url) throws Exception {
        if (Dialect.of(url) == Dialect.SQLITE) {
            SQLiteJDBCLoader.initialize();
        }
    }

    /** The main database's file, or null for an in-memory database. */
    private static Path databaseFile(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("PRAGMA database_list"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String file = rs.getString("file");
                if ("main".equals(rs.getString("name")) && file != null && !file.isEmpty()) {
                    return Path.of(file);
                }
            }
        }
        return null;
    }

    private static HikariDataSource pool(String url, String username, String password, String name, int size,
                                         Duration connectionWait) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(username);
        config.setPassword(password);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(connectionWait.toMillis());
        if (url.startsWith("jdbc:sqlite:")) {
            config.addDataSourceProperty("journal_mode", "WAL");
            // Commits reach the log without an fsync; write() syncs the log before it returns (WalSync), for every
            // transaction that committed meanwhile at once. Durable as FULL, without one fsync per transaction.
            config.addDataSourceProperty("synchronous", "NORMAL");
            config.addDataSourceProperty("foreign_keys", "true");
            // Another process (the berth token commands) may write to the same file. busy_timeout makes a writer
            // wait for the lock; IMMEDIATE takes it when a transaction begins, because a transaction that read
            // first and then finds the lock taken fails at once instead of waiting (it would deadlock).
            config.addDataSourceProperty("busy_timeout", "30000");
            config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        }
        return new HikariDataSource(config);
    }

    /** A shared row lock on PostgreSQL; nothing on SQLite, where a write transaction locks the whole database. */
    private String forShare() {
        return dialect == Dialect.POSTGRESQL ? " FOR SHARE" : "";
    }

    /** Fails unless the database answers a trivial query now: what a readiness probe asks. */
    public void check() {
        read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1"); ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        });
    }

    /**
     * Has the connection pools report their connections (active, idle, pending, timeouts, acquisition times) to
     * {@code factory}, Hikari's bridge to a metrics library.
     */
    public void trackPools(MetricsTrackerFactory factory) {
        writer.setMetricsTrackerFactory(factory);
        if (reader != writer) {
            reader.setMetricsTrackerFactory(factory);
        }
    }

    /** "sqlite" or "postgresql", for the startup line. */
    public String kind() {
        return dialect.name().toLowerCase(java.util.Locale.ROOT);
    }

    // ---- repositories

    @Override
    public boolean repositoryExists(String repository) {
        return read(c -> repositoryId(c, repository) != null);
    }

    @Override
    public List<String> repositories(String after, int limit) {
        return read(c -> strings(c, "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?",
                after == null ? "" : after, limit));
    }

    // ---- blobs

    @Override
    public OptionalLong blobSize(Digest digest) {
        return read(c -> optionalLong(c, "SELECT size FROM blobs WHERE digest = ?", digest.toString()));
    }

    @Override
    public OptionalLong linkedBlobSize(String repository, Digest digest) {
        return read(c -> optionalLong(c, "SELECT b.size FROM repository_blobs rb "
                + "JOIN repositories r ON r.id = rb.repository_id JOIN blobs b ON b.digest = rb.digest "
                + "WHERE r.name = ? AND rb.digest = ?", repository, digest.toString()));
    }

    @Override
    public boolean mountBlob(String repository, Digest digest, String from, RepositoryLimit limit) {
        return record((c, changes) -> {
            // The shared row lock keeps a collector from deleting the blob until the link is committed.
            OptionalLong size = optionalLong(c, "SELECT size FROM blobs WHERE digest = ?" + forShare(),
                    digest.toString());
            if (size.isEmpty()) {
                return false;
            }
            if (from != null && optionalLong(c, "SELECT 1 FROM repository_blobs rb JOIN repositories r "
                    + "ON r.id = rb.repository_id WHERE r.name = ? AND rb.digest = ?", from, digest.toString()).isEmpty()) {
                return false;
            }
            link(c, ensureRepository(c, changes, repository), repository, digest, size.getAsLong(), limit);
            return true;
        });
    }

    @Override
    public void completeUpload(String uploadId, String repository, Digest digest, long size, Runnable storeBytes,
                               RepositoryLimit limit) {
        record((c, changes) -> {
            long repositoryId = ensureRepository(c, changes, repository);
            holdBlob(c, digest, size);
            storeBytes.run();
            link(c, repositoryId, repository, digest, size, limit);
            update(c, "DELETE FROM uploads WHERE id = ?", uploadId);
            return null;
        });
    }

    /**
     * Records the blob unless it is recorded, and holds its row until the transaction ends: a collector deletes a
     * blob's row and hides its bytes only while it holds the row itself, so what the caller finds stored now stays.
     * On SQLite the transaction's write lock holds everything already.
     */
    private void holdBlob(Connection c, Digest digest, long size) throws SQLException {
        update(c, "INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                digest.toString(), size, System.currentTimeMillis());
        if (dialect == Dialect.POSTGRESQL
                && optionalLong(c, "SELECT 1 FROM blobs WHERE digest = ? FOR SHARE", digest.toString()).isEmpty()) {
            // A collector deleted the row after the insert saw it; the next attempt inserts it again.
            throw new SQLException("blob " + digest + " was deleted concurrently", RETRY_STATE);
        }
    }

    /**
     * Links a blob, or renews a link's time: a fresh link protects the blob for the collector's grace period. A new
     * link adds the blob's bytes to the repository's size; the insert, not a read before it, tells whether the link
     * is new, because uploads do not take the repository's lock ({@link RepositoryCounters}); so does its count in the
     * repository's namespaces ({@link NamespaceBlobs}).
     */
    private static void link(Connection c, long repositoryId, String repository, Digest digest, long size,
                             RepositoryLimit limit) throws SQLException {
        long now = System.currentTimeMillis();
        if (update(c, "INSERT INTO repository_blobs (repository_id, digest, size, created_at) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (repository_id, digest) DO NOTHING", repositoryId, digest.toString(), size, now) > 0) {
            NamespaceBlobs.linked(c, repository, digest.toString(), size);
            RepositoryCounters.add(c, repositoryId, size, 0, 0, 0);
            RepositoryCounters.check(c, repositoryId, repository, size, 0, limit);
        } else if (update(c, "UPDATE repository_blobs SET created_at = ? WHERE repository_id = ? AND digest = ?",
                now, repositoryId, digest.toString()) == 0) {
            throw new SQLException("link to " + digest + " was deleted concurrently", RETRY_STATE);
        }
    }

    @Override
    public boolean unlinkBlob(String repository, Digest digest) {
        return record((c, changes) -> {
            Long repositoryId = repositoryId(c, repository);
            if (repositoryId == null) {
                return false;
            }
            RepositoryCounters.lock(c, dialect, repositoryId);
            OptionalLong size = optionalLong(c, "SELECT size FROM repository_blobs WHERE repository_id = ? "
                    + "AND digest = ?", repositoryId, digest.toString());
            if (size.isEmpty() || update(c, "DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?",
                    repositoryId, digest.toString()) == 0) {
                return false;
            }
            NamespaceBlobs.unlinked(c, repository, digest.toString());
            RepositoryCounters.add(c, repositoryId, -size.getAsLong(), 0, 0, 0);
            changes.add(Event.blob(EventType.BLOB_DELETED, repository, digest, size.getAsLong()));
            return true;
        });
    }

    // ---- manifests and tags

    @Override
    public List<Reference> putManifest(String repository, StoredManifest manifest, List<Reference> references,
                                       List<String> tags, Set<String> immutableTags, List<String> platforms,
                                       RepositoryLimit limit) {
        try {
            return record((c, changes) -> {
                storeManifest(c, changes, repository, manifest, references, tags, immutableTags, platforms, limit);
                return List.of();
            });
        } catch (MissingReferences e) {
            return e.missing;
        }
    }

    /** Ends a push that lacks required references: nothing of it is stored. */
    private static final class MissingReferences extends RuntimeException {
        private final List<Reference> missing;

        MissingReferences(List<Reference> missing) {
            super(null, null, false, false);
            this.missing = missing;
        }
    }

    private void storeManifest(Connection c, List<Event> changes, String repository, StoredManifest manifest,
                               List<Reference> references, List<String> tags, Set<String> immutableTags,
                               List<String> platforms, RepositoryLimit limit) throws SQLException {
        long repositoryId = ensureRepository(c, changes, repository);
        RepositoryCounters.lock(c, dialect, repositoryId);
        List<Reference> missing = new ArrayList<>();
        for (Reference reference : references) {
            if (reference.required() && !referenceExists(c, repositoryId, reference)) {
                missing.add(reference);
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingReferences(missing);
        }
        long now = System.currentTimeMillis();
        String digest = manifest.digest().toString();
        int inserted = update(c, "INSERT INTO manifests (repository_id, digest, media_type, artifact_type, "
                        + "subject_digest, size, annotations, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (repository_id, digest) DO NOTHING",
                repositoryId, digest, manifest.mediaType(), manifest.artifactType(),
                manifest.subject() == null ? null : manifest.subject().toString(), manifest.size(),
                manifest.annotations().isEmpty() ? null : JSON.writeValueAsString(manifest.annotations()),
                manifest.payload(), now);
        // Held like the references: a collector deleting this manifest as untagged either sees the new tags
        // or has deleted it before this reads it, and then the transaction starts over and stores it again.
        OptionalLong id = optionalLong(c, "SELECT id FROM manifests WHERE repository_id = ? AND digest = ?"
                + forShare(), repositoryId, digest);
        if (id.isEmpty()) {
            throw new SQLException("manifest " + digest + " was deleted concurrently", RETRY_STATE);
        }
        long manifestId = id.getAsLong();
        long bytes = 0;
        long images = 0;
        long referrers = 0;
        if (inserted > 0) {
            // The children it lists stop being images, unless another index lists them already.
            List<String> affected = new ArrayList<>();
            for (Reference reference : references) {
                if (reference.kind() == Reference.Kind.CHILD) {
                    affected.add(reference.digest().toString());
                }
            }
            long imagesBefore = RepositoryCounters.images(c, repositoryId, affected);
            for (Reference reference : references) {
                update(c, "INSERT INTO manifest_references (manifest_id, digest, kind) VALUES (?, ?, ?) "
                                + "ON CONFLICT (manifest_id, digest, kind) DO NOTHING",
                        manifestId, reference.digest().toString(), reference.kind().name().toLowerCase());
            }
            affected.add(digest);
            images = RepositoryCounters.images(c, repositoryId, affected) - imagesBefore;
            bytes = manifest.size();
            referrers = manifest.subject() == null ? 0 : 1;
        }
        long newTags = 0;
        changes.add(Event.manifest(
                manifest.subject() == null ? EventType.IMAGE_PUSHED : EventType.REFERRER_PUSHED, repository,
                manifest.digest(), manifest.mediaType(), manifest.artifactType(), manifest.subject(), manifest.size(),
                tags, platforms));
        for (String tag : tags) {
            Digest previous = taggedDigest(c, repositoryId, tag);
            if (!immutableTags.contains(tag)) {
                update(c, "INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES (?, ?, ?, ?) "
                                + "ON CONFLICT (repository_id, name) DO UPDATE SET "
                                + "manifest_id = excluded.manifest_id, updated_at = excluded.updated_at",
                        repositoryId, tag, manifestId, now);
            } else if (!keepImmutableTag(c, repositoryId, tag, manifestId, now)) {
                throw new TagImmutableException(tag, previous != null ? previous : taggedDigest(c, repositoryId, tag));
            }
            if (!manifest.digest().equals(previous)) {
                changes.add(Event.tag(EventType.TAG_UPDATED, repository, tag, manifest.digest(), previous));
            }
            if (previous == null) {
                newTags++;
            }
        }
        if (inserted > 0 || !tags.isEmpty()) {
            RepositoryCounters.pushed(c, repositoryId, now, bytes, images, newTags, referrers);
        }
        if (inserted > 0) {
            RepositoryCounters.check(c, repositoryId, repository, bytes, images, limit);
        }
    }

    /** The manifest the tag points to; null when there is no such tag. */
    private static Digest taggedDigest(Connection c, long repositoryId, String tag) throws SQLException {
        List<String> found = strings(c, "SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id "
                + "WHERE t.repository_id = ? AND t.name = ?", repositoryId, tag);
        return found.isEmpty() ? null : Digest.parse(found.getFirst());
    }

    /**
     * Creates the tag, or touches it when it already points to this manifest; false when it points to another. One
     * statement, so the database decides: a concurrent push creating the same tag makes this one wait on its row
     * (PostgreSQL) or on the single writer (SQLite), and then see it.
     */
    private static boolean keepImmutableTag(Connection c, long repositoryId, String tag, long manifestId, long now)
            throws SQLException {
        return update(c, "INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (repository_id, name) DO UPDATE SET updated_at = excluded.updated_at "
                        + "WHERE tags.manifest_id = excluded.manifest_id",
                repositoryId, tag, manifestId, now) > 0;
    }

    private boolean referenceExists(Connection c, long repositoryId, Reference reference) throws SQLException {
        String sql = reference.kind() == Reference.Kind.CHILD
                ? "SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?"
                : "SELECT 1 FROM repository_blobs WHERE repository_id = ? AND digest = ?";
        // On PostgreSQL the shared row lock keeps a concurrent collector from removing what this manifest needs.
        return optionalLong(c, sql + forShare(), repositoryId, reference.digest().toString()).isPresent();
    }

    @Override
    public Optional<StoredManifest> manifest(String repository, Digest digest) {
        return read(c -> {
            try (PreparedStatement ps = prepare(c, "SELECT m.media_type, m.artifact_type, m.subject_digest, "
                    + "m.annotations, m.payload, m.created_at FROM manifests m JOIN repositories r "
                    + "ON r.id = m.repository_id WHERE r.name = ? AND m.digest = ?", repository, digest.toString());
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String subject = rs.getString(3);
                return Optional.of(new StoredManifest(digest, rs.getString(1), rs.getString(2),
                        subject == null ? null : Digest.parse(subject), annotations(rs.getString(4)),
                        rs.getBytes(5), rs.getLong(6)));
            }
        });
    }

    @Override
    public Optional<Digest> resolveTag(String repository, String tag) {
        return read(c -> {
            List<String> found = strings(c, "SELECT m.digest FROM tags t JOIN repositories r ON r.id = t.repository_id "
                    + "JOIN manifests m ON m.id = t.manifest_id WHERE r.name = ? AND t.name = ?", repository, tag);
            return found.stream().findFirst().map(Digest::parse);
        });
    }

    @Override
    public boolean holdsManifest(String repository, Digest digest) {
        return read(c -> optionalLong(c, "SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id "
                + "WHERE r.name = ? AND m.digest = ?", repository, digest.toString()).isPresent());
    }

    @Override
    public Optional<RepositoryVersion> repositoryVersion(String repository) {
        return read(c -> {
            try (PreparedStatement ps = prepare(c, "SELECT id, generation FROM repositories WHERE name = ?",
                    repository); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new RepositoryVersion(rs.getLong(1), rs.getLong(2)))
                        : Optional.empty();
            }
        });
    }

    @Override
    public boolean deleteManifest(String repository, Digest digest) {
        return record((c, changes) -> {
            Long repositoryId = repositoryId(c, repository);
            if (repositoryId == null) {
                return false;
            }
            RepositoryCounters.lock(c, dialect, repositoryId);
            OptionalLong id = optionalLong(c, "SELECT id FROM manifests WHERE repository_id = ? AND digest = ?",
                    repositoryId, digest.toString());
            if (id.isEmpty()) {
                return false;
            }
            deleteManifestRow(c, changes, repository, repositoryId, id.getAsLong(), digest);
            return true;
        });
    }

    /**
     * Deletes one manifest with its tags and references, and records when it left the repository (its referrers
     * are collected a delay after that). The caller holds the repository's lock ({@link RepositoryCounters}).
     */
    private static void deleteManifestRow(Connection c, List<Event> changes, String repository, long repositoryId,
                                          long id, Digest digest) throws SQLException {
        List<String> tags = strings(c, "SELECT name FROM tags WHERE manifest_id = ? ORDER BY name", id);
        Event deleted = deletedManifest(c, repository, id, digest, tags);
        changes.add(deleted);
        // It, and the children it lists, which become images unless another index lists them too.
        List<String> affected = strings(c, "SELECT digest FROM manifest_references WHERE manifest_id = ? "
                + "AND kind = 'child'", id);
        affected.add(digest.toString());
        long imagesBefore = RepositoryCounters.images(c, repositoryId, affected);
        update(c, "DELETE FROM tags WHERE manifest_id = ?", id);
        update(c, "DELETE FROM manifest_references WHERE manifest_id = ?", id);
        update(c, "DELETE FROM manifests WHERE id = ?", id);
        RepositoryCounters.add(c, repositoryId, -deleted.size(),
                RepositoryCounters.images(c, repositoryId, affected) - imagesBefore, -tags.size(),
                deleted.subject() == null ? 0 : -1);
        recordDeletion(c, repositoryId, digest.toString(), System.currentTimeMillis());
    }

    /** The event of a manifest's deletion, read before its row goes: an image's or a referrer's. */
    static Event deletedManifest(Connection c, String repository, long id, Digest digest, List<String> tags)
            throws SQLException {
        try (PreparedStatement ps = prepare(c, "SELECT media_type, artifact_type, subject_digest, size "
                + "FROM manifests WHERE id = ?", id); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("manifest " + digest + " was deleted concurrently", RETRY_STATE);
            }
            String subject = rs.getString(3);
            return Event.manifest(subject == null ? EventType.IMAGE_DELETED : EventType.REFERRER_DELETED, repository,
                    digest, rs.getString(1), rs.getString(2), subject == null ? null : Digest.parse(subject),
                    rs.getLong(4), tags, List.of());
        }
    }

    /** Tells servers whose caches never expire (SQLite) that another process deleted manifests. */
    static void bumpManifestEpoch(Connection c) throws SQLException {
        update(c, "UPDATE gc_state SET manifest_epoch = manifest_epoch + 1 WHERE id = 1");
    }

    /**
     * Records when a manifest left a repository, for the delay after which its referrers are collected. A later
     * time wins: an earlier one must not bring the collection of referrers forward.
     */
    static void recordDeletion(Connection c, long repositoryId, String digest, long at) throws SQLException {
        update(c, "INSERT INTO deleted_manifests (repository_id, digest, deleted_at) VALUES (?, ?, ?) "
                + "ON CONFLICT (repository_id, digest) DO UPDATE SET deleted_at = CASE "
                + "WHEN excluded.deleted_at > deleted_manifests.deleted_at THEN excluded.deleted_at "
                + "ELSE deleted_manifests.deleted_at END", repositoryId, digest, at);
    }

    @Override
    public boolean deleteTag(String repository, String tag) {
        return record((c, changes) -> {
            Long repositoryId = repositoryId(c, repository);
            if (repositoryId == null) {
                return false;
            }
            RepositoryCounters.lock(c, dialect, repositoryId);
            Digest digest = taggedDigest(c, repositoryId, tag);
            if (digest == null
                    || update(c, "DELETE FROM tags WHERE name = ? AND repository_id = ?", tag, repositoryId) == 0) {
                return false;
            }
            RepositoryCounters.add(c, repositoryId, 0, 0, -1, 0);
            changes.add(Event.tag(EventType.TAG_DELETED, repository, tag, digest, null));
            return true;
        });
    }

    @Override
    public List<String> tags(String repository, String after, int limit) {
        return read(c -> strings(c, "SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id "
                + "WHERE r.name = ? AND t.name > ? ORDER BY t.name LIMIT ?", repository, after == null ? "" : after, limit));
    }

    @Override
    public List<Descriptor> referrers(String repository, Digest subject, String artifactType, String afterDigest,
                                      int limit) {
        return read(c -> {
            String sql = "SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations FROM manifests m "
                    + "JOIN repositories r ON r.id = m.repository_id WHERE r.name = ? AND m.subject_digest = ? "
                    + "AND m.digest > ?" + (artifactType == null ? "" : " AND m.artifact_type = ?")
                    + " ORDER BY m.digest LIMIT ?";
            Object[] args = artifactType == null
                    ? new Object[] {repository, subject.toString(), afterDigest == null ? "" : afterDigest, limit}
                    : new Object[] {repository, subject.toString(), afterDigest == null ? "" : afterDigest,
                            artifactType, limit};
            List<Descriptor> result = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new Descriptor(rs.getString(2), Digest.parse(rs.getString(1)), rs.getLong(3),
                            rs.getString(4), List.of(), annotations(rs.getString(5))));
                }
            }
            return result;
        });
    }

    // ---- lifecycle

    /** Manifests that are an index's child in their own repository. */
    private static final String IS_CHILD = "SELECT 1 FROM manifest_references mr CROSS JOIN manifests p "
            + "WHERE p.id = mr.manifest_id AND mr.kind = 'child' AND mr.digest = ? AND p.repository_id = ?";

    /**
     * SQL that holds when manifest {@code alias} is a child of an index of its own repository, that index being
     * {@code cp} (for {@code extra}, more conditions on it, or ""). The {@code CROSS JOIN} keeps SQLite on the index
     * of referenced digests first: without table statistics its planner otherwise walks all the repository's
     * manifests for every row, which is quadratic in the repository's size (over a minute at 10,000 manifests).
     */
    static String isChild(String alias, String extra) {
        return "EXISTS (SELECT 1 FROM manifest_references cr CROSS JOIN manifests cp WHERE cp.id = cr.manifest_id "
                + "AND cr.digest = " + alias + ".digest AND cr.kind = 'child' AND cp.repository_id = " + alias
                + ".repository_id" + extra + ")";
    }

    @Override
    public List<Image> images(String repository) {
        return read(c -> {
            record Row(Instant pushedAt, Instant lastPulledAt, List<String> tags) {
            }
            Map<String, Row> rows = new LinkedHashMap<>();
            try (PreparedStatement ps = prepare(c, "SELECT m.digest, m.created_at, m.last_pulled_at, t.name "
                    + "FROM manifests m JOIN repositories r ON r.id = m.repository_id "
                    + "LEFT JOIN tags t ON t.manifest_id = m.id "
                    + "WHERE r.name = ? AND m.subject_digest IS NULL AND NOT " + isChild("m", "")
                    + " ORDER BY m.digest, t.name", repository);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long pushedAt = rs.getLong(2);
                    long pulledAt = rs.getLong(3);
                    Instant lastPulledAt = rs.wasNull() ? null : Instant.ofEpochMilli(pulledAt);
                    Row row = rows.computeIfAbsent(rs.getString(1),
                            digest -> new Row(Instant.ofEpochMilli(pushedAt), lastPulledAt, new ArrayList<>()));
                    String tag = rs.getString(4);
                    if (tag != null) {
                        row.tags().add(tag);
                    }
                }
            }
            List<Image> images = new ArrayList<>();
            rows.forEach((digest, row) -> images.add(new Image(Digest.parse(digest), row.tags(), row.pushedAt(),
                    row.lastPulledAt())));
            return images;
        });
    }

    @Override
    public List<Digest> deleteImage(String repository, Digest digest, Set<String> tags) {
        return record((c, changes) -> {
            Long repositoryId = repositoryId(c, repository);
            if (repositoryId == null) {
                return List.of();
            }
            RepositoryCounters.lock(c, dialect, repositoryId);
            // The row lock orders this against a concurrent push: one that tags the image or makes it an index's
            // child either commits first (and is seen below) or waits and then finds the image gone.
            OptionalLong id = lockManifest(c, repositoryId, digest.toString());
            if (id.isEmpty() || optionalLong(c, IS_CHILD, digest.toString(), repositoryId).isPresent()) {
                return List.of();
            }
            Set<String> current = new HashSet<>(strings(c, "SELECT name FROM tags WHERE manifest_id = ?",
                    id.getAsLong()));
            if (!current.equals(tags)) {
                return List.of();
            }
            List<Digest> deleted = new ArrayList<>();
            deleteWithChildren(c, changes, repository, repositoryId, id.getAsLong(), digest, deleted);
            bumpManifestEpoch(c); // `berth lifecycle apply` may run beside a server
            return deleted;
        });
    }

    private OptionalLong lockManifest(Connection c, long repositoryId, String digest) throws SQLException {
        return optionalLong(c, "SELECT id FROM manifests WHERE repository_id = ? AND digest = ?"
                + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : ""), repositoryId, digest);
    }

    /** Deletes a manifest, then those of its children that are untagged and no other manifest's child. */
    private void deleteWithChildren(Connection c, List<Event> changes, String repository, long repositoryId, long id,
                                    Digest digest, List<Digest> deleted) throws SQLException {
        List<String> children = strings(c, "SELECT digest FROM manifest_references WHERE manifest_id = ? "
                + "AND kind = 'child' ORDER BY digest", id);
        deleteManifestRow(c, changes, repository, repositoryId, id, digest);
        deleted.add(digest);
        for (String child : children) {
            OptionalLong childId = lockManifest(c, repositoryId, child);
            if (childId.isEmpty()
                    || optionalLong(c, "SELECT 1 FROM tags WHERE manifest_id = ?", childId.getAsLong()).isPresent()
                    || optionalLong(c, IS_CHILD, child, repositoryId).isPresent()) {
                continue;
            }
            deleteWithChildren(c, changes, repository, repositoryId, childId.getAsLong(), Digest.parse(child),
                    deleted);
        }
    }

    @Override
    public void recordPulls(List<Pull> pulls, boolean announce) {
        if (pulls.isEmpty()) {
            return;
        }
        // One order for every writer, so two servers flushing at once on PostgreSQL cannot deadlock.
        List<Pull> ordered = pulls.stream().sorted(Comparator.comparing(Pull::repository)
                .thenComparing(pull -> pull.digest().toString())).toList();
        record((c, changes) -> {
            if (announce) {
                for (Pull pull : ordered) {
                    try (PreparedStatement ps = prepare(c, "SELECT m.media_type, m.size FROM manifests m JOIN "
                            + "repositories r ON r.id = m.repository_id WHERE r.name = ? AND m.digest = ?",
                            pull.repository(), pull.digest().toString()); ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            changes.add(Event.pulled(pull.repository(), pull.digest(), rs.getString(1), rs.getLong(2),
                                    pull.count()));
                        }
                    }
                }
            }
            // The repositories' rows first, as every writer that takes them takes them before their manifests'.
            Map<String, Long> latest = new TreeMap<>();
            ordered.forEach(pull -> latest.merge(pull.repository(), pull.at().toEpochMilli(), Math::max));
            // The generation too: the manifests' pull times are on the pages of their images (RepositoryCounters).
            try (PreparedStatement ps = c.prepareStatement("UPDATE repositories SET pulled_at = CASE WHEN "
                    + "pulled_at IS NULL OR pulled_at < ? THEN ? ELSE pulled_at END, generation = generation + 1 "
                    + "WHERE name = ?")) {
                for (Map.Entry<String, Long> pulled : latest.entrySet()) {
                    ps.setLong(1, pulled.getValue());
                    ps.setLong(2, pulled.getValue());
                    ps.setString(3, pulled.getKey());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE manifests SET last_pulled_at = ? "
                    + "WHERE digest = ? AND repository_id = (SELECT id FROM repositories WHERE name = ?) "
                    + "AND (last_pulled_at IS NULL OR last_pulled_at < ?)")) {
                for (Pull pull : ordered) {
                    long at = pull.at().toEpochMilli();
                    ps.setLong(1, at);
                    ps.setString(2, pull.digest().toString());
                    ps.setString(3, pull.repository());
                    ps.setLong(4, at);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public void putLifecyclePolicy(StoredLifecyclePolicy policy) {
        write(c -> update(c, "INSERT INTO lifecycle_policies (repositories, policy, updated_at) VALUES (?, ?, ?) "
                        + "ON CONFLICT (repositories) DO UPDATE SET policy = excluded.policy, "
                        + "updated_at = excluded.updated_at",
                policy.repositories(), policy.policy(), policy.updatedAt().toEpochMilli()));
    }

    @Override
    public List<StoredLifecyclePolicy> lifecyclePolicies() {
        return read(c -> {
            List<StoredLifecyclePolicy> result = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT repositories, policy, updated_at FROM lifecycle_policies "
                    + "ORDER BY repositories"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new StoredLifecyclePolicy(rs.getString(1), rs.getString(2),
                            Instant.ofEpochMilli(rs.getLong(3))));
                }
            }
            return result;
        });
    }

    @Override
    public boolean deleteLifecyclePolicy(String repositories) {
        return write(c -> update(c, "DELETE FROM lifecycle_policies WHERE repositories = ?", repositories) > 0);
    }

    // ---- uploads

    @Override
    public void createUpload(Upload upload) {
        write(c -> update(c, "INSERT INTO uploads (id, repository, size, started_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                upload.id(), upload.repository(), upload.size(), upload.startedAt(), upload.updatedAt()));
    }

    @Override
    public Optional<Upload> upload(String id) {
        return read(c -> uploads(c, "SELECT id, repository, size, started_at, updated_at, sha256_state FROM uploads "
                + "WHERE id = ?", id).stream().findFirst());
    }

    @Override
    public void updateUpload(String id, long size, long updatedAt, byte[] sha256State) {
        write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE uploads SET size = ?, updated_at = ?, "
                    + "sha256_state = ? WHERE id = ?")) {
                ps.setLong(1, size);
                ps.setLong(2, updatedAt);
                if (sha256State == null) {
                    ps.setNull(3, Types.BINARY);
                } else {
                    ps.setBytes(3, sha256State);
                }
                ps.setString(4, id);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public void deleteUpload(String id) {
        write(c -> update(c, "DELETE FROM uploads WHERE id = ?", id));
    }

    @Override
    public List<Upload> uploadsUpdatedBefore(long epochMillis, int limit) {
        return read(c -> uploads(c, "SELECT id, repository, size, started_at, updated_at, sha256_state FROM uploads "
                + "WHERE updated_at < ? ORDER BY updated_at LIMIT ?", epochMillis, limit));
    }

    // ---- robots

    private static final String ROBOT_COLUMNS = "name, token_hash, repositories, actions, created_at, expires_at";

    @Override
    public void createRobot(Robot robot) {
        write(c -> {
            // ON CONFLICT rather than catching the unique violation: write() retries those as races on PostgreSQL.
            int inserted = update(c, "INSERT INTO robots (" + ROBOT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (name) DO NOTHING",
                    robot.name(), robot.tokenHash(), JSON.writeValueAsString(robot.repositories()),
                    JSON.writeValueAsString(robot.actions()), robot.createdAt().toEpochMilli(),
                    robot.expiresAt() == null ? null : robot.expiresAt().toEpochMilli());
            if (inserted == 0) {
                throw new IllegalStateException("robot '" + robot.name() + "' exists already");
            }
            return null;
        });
    }

    @Override
    public Optional<Robot> robotByTokenHash(String tokenHash) {
        return read(c -> robots(c, "SELECT " + ROBOT_COLUMNS + " FROM robots WHERE token_hash = ?", tokenHash)
                .stream().findFirst());
    }

    @Override
    public List<Robot> robots() {
        return read(c -> robots(c, "SELECT " + ROBOT_COLUMNS + " FROM robots ORDER BY name"));
    }

    @Override
    public boolean deleteRobot(String name) {
        return write(c -> update(c, "DELETE FROM robots WHERE name = ?", name) > 0);
    }

    // ---- garbage collection

    @Override
    public Optional<CollectorLock> tryLockCollector() {
        return collectorLocks.tryLock();
    }

    @Override
    public Sweep sweep(boolean dryRun) {
        try {
            return new SqlSweep(this, dialect, reader.getConnection(), dryRun);
        } catch (SQLException e) {
            throw new MetadataException("metadata read failed", e);
        }
    }

    @Override
    public EventLog events() {
        return events;
    }

    @Override
    public Inventory inventory() {
        return inventory;
    }

    @Override
    public LoginFailures loginFailures() {
        return loginFailures;
    }

    @Override
    public boolean deleteRepository(String repository) {
        return record((c, changes) -> {
            Long id = repositoryId(c, repository);
            if (id == null) {
                return false;
            }
            if (dialect == Dialect.POSTGRESQL) {
                // A push into the repository that is writing its rows finishes first; one that starts now waits.
                optionalLong(c, "SELECT id FROM repositories WHERE id = ? FOR UPDATE", id);
            }
            update(c, "DELETE FROM tags WHERE repository_id = ?", id);
            update(c, "DELETE FROM manifests WHERE repository_id = ?", id);
            NamespaceBlobs.unlinkingAll(c, repository, id);
            update(c, "DELETE FROM repository_blobs WHERE repository_id = ?", id);
            update(c, "DELETE FROM deleted_manifests WHERE repository_id = ?", id);
            update(c, "DELETE FROM repositories WHERE id = ?", id);
            bumpManifestEpoch(c);
            changes.add(Event.repository(EventType.REPOSITORY_DELETED, repository));
            return true;
        });
    }

    @Override
    public long manifestEpoch() {
        return read(c -> optionalLong(c, "SELECT manifest_epoch FROM gc_state WHERE id = 1").orElse(0));
    }

    @Override
    public void close() {
        writer.close();
        if (reader != writer) {
            reader.close();
        }
    }

    // ---- plumbing

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Work that changes what the registry holds: it adds an event to {@code changes} for each change it makes. */
    @FunctionalInterface
    interface ChangeWork<T> {
        T run(Connection connection, List<Event> changes) throws SQLException;
    }

    <T> T read(SqlWork<T> work) {
        try (Connection c = reader.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new MetadataException("metadata read failed", e);
        }
    }

    /** A write that changes nothing the events tell of (upload sessions, cursors, robots, policies). */
    <T> T write(SqlWork<T> work) {
        return record((c, changes) -> work.run(c));
    }

    /**
     * The one write path: runs in one transaction, retried when PostgreSQL reports a serialization failure or
     * deadlock, with the events of its changes written to the outbox in the same transaction; returns once the
     * transaction is durable and the listeners know of its events.
     */
    <T> T record(ChangeWork<T> work) {
        List<Event> changes = new ArrayList<>();
        T result = transaction(c -> {
            changes.clear(); // from an attempt that was rolled back
            T done = work.run(c, changes);
            events.append(c, changes);
            return done;
        });
        WalSync sync = walSync;
        if (sync != null) {
            try {
                sync.awaitDurable();
            } catch (IOException e) {
                throw new MetadataException("metadata write failed", e);
            }
        }
        events.committed(changes);
        return result;
    }

    private <T> T transaction(SqlWork<T> work) {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = writer.getConnection()) {
                c.setAutoCommit(false);
                T result;
                try {
                    result = work.run(c);
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    // SQLite ends the transaction itself on some failures (SQLITE_FULL, say), and then both of these
                    // fail too: they must not hide the failure that says what happened.
                    try {
                        c.rollback();
                    } catch (SQLException again) {
                        e.addSuppressed(again);
                    }
                    try {
                        c.setAutoCommit(true);
                    } catch (SQLException again) {
                        e.addSuppressed(again);
                    }
                    throw e;
                }
                c.setAutoCommit(true);
                return result;
            } catch (SQLException e) {
                String state = e.getSQLState();
                boolean transientFailure = RETRY_STATE.equals(state) || "40P01".equals(state) || "23505".equals(state);
                if (!transientFailure || attempt >= RETRIES) {
                    throw new MetadataException("metadata write failed", e);
                }
            }
        }
    }

    static Long repositoryId(Connection c, String name) throws SQLException {
        OptionalLong id = optionalLong(c, "SELECT id FROM repositories WHERE name = ?", name);
        return id.isPresent() ? id.getAsLong() : null;
    }

    /**
     * The repository's id, created if need be, for a write that adds rows to it. On PostgreSQL the row is share-locked
     * until the write commits: a deletion of the repository (which locks it for update) waits for the write, or the
     * write waits for the deletion and then creates the repository again, instead of adding rows to a deleted one.
     */
    private long ensureRepository(Connection c, List<Event> changes, String name) throws SQLException {
        String select = "SELECT id FROM repositories WHERE name = ?"
                + (dialect == Dialect.POSTGRESQL ? " FOR KEY SHARE" : "");
        // Another write may create the repository as this one looks, and a deletion remove it again before this one
        // locks it: then look again. Each round ends with the repository found or created, unless deletions keep
        // winning, which they cannot for long.
        for (int round = 0; round < 100; round++) {
            OptionalLong existing = optionalLong(c, select, name);
            if (existing.isPresent()) {
                return existing.getAsLong();
            }
            if (update(c, "INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    name, System.currentTimeMillis()) > 0) {
                changes.add(Event.repository(EventType.REPOSITORY_CREATED, name));
                return optionalLong(c, select, name).orElseThrow();
            }
        }
        throw new SQLException("the repository " + name + " was deleted again and again while a write created it");
    }

    static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    static OptionalLong optionalLong(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
        }
    }

    static List<String> strings(Connection c, String sql, Object... args) throws SQLException {
        List<String> result = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                result.add(rs.getString(1));
            }
        }
        return result;
    }

    private static List<Upload> uploads(Connection c, String sql, Object... args) throws SQLException {
        List<Upload> result = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                result.add(new Upload(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getBytes(6)));
            }
        }
        return result;
    }

    private static List<Robot> robots(Connection c, String sql, Object... args) throws SQLException {
        List<Robot> result = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long expiresAt = rs.getLong(6);
                boolean never = rs.wasNull();
                result.add(new Robot(rs.getString(1), rs.getString(2), JSON.readValue(rs.getString(3), STRINGS),
                        JSON.readValue(rs.getString(4), STRINGS), Instant.ofEpochMilli(rs.getLong(5)),
                        never ? null : Instant.ofEpochMilli(expiresAt)));
            }
        }
        return result;
    }

    private static Map<String, String> annotations(String json) {
        return json == null ? Map.of() : JSON.readValue(json, STRING_MAP);
    }
}
