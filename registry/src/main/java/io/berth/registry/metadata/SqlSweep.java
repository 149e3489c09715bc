package io.berth.registry.metadata;

import static io.berth.registry.metadata.SqlMetadataStore.prepare;
import static io.berth.registry.metadata.SqlMetadataStore.update;

import io.berth.oci.Digest;
import io.berth.registry.events.Event;
import io.berth.registry.events.EventType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Sweep} on SQL. Candidates come from one read connection. Each deletion is one transaction on the store's
 * writer: on PostgreSQL it first locks the candidate rows ({@code FOR UPDATE}, in key order), then checks them again
 * in a following statement, whose snapshot under READ COMMITTED includes every transaction that held one of those
 * rows before, then deletes what still qualifies. A single {@code DELETE ... WHERE NOT EXISTS} would not do: when
 * it waits for a row lock, PostgreSQL re-checks only the row itself, and judges the {@code NOT EXISTS} by the
 * snapshot from before the wait. A push holds the rows it depends on with {@code FOR SHARE} until it commits, so
 * either the collector sees what the push added or the push finds the row gone. On SQLite each transaction holds
 * the database's only write lock from its start, which orders it entirely before or after any push.
 *
 * <p>A dry sweep keeps what it would delete in two temporary tables on its read connection, which its reads
 * treat as deleted.
 */
final class SqlSweep implements Sweep {
    private final SqlMetadataStore store;
    private final Dialect dialect;
    private final Connection reads;
    private final boolean dry;

    SqlSweep(SqlMetadataStore store, Dialect dialect, Connection reads, boolean dry) {
        this.store = store;
        this.dialect = dialect;
        this.reads = reads;
        this.dry = dry;
        if (dry) {
            try (Statement statement = reads.createStatement()) {
                dropOverlay(statement);
                statement.execute("CREATE TEMP TABLE gc_gone_manifests (id BIGINT PRIMARY KEY, "
                        + "repository_id BIGINT NOT NULL, digest VARCHAR(200) NOT NULL, gone_at BIGINT NOT NULL, "
                        + "UNIQUE (repository_id, digest))");
                statement.execute("CREATE TEMP TABLE gc_gone_links (repository_id BIGINT NOT NULL, "
                        + "digest VARCHAR(200) NOT NULL, PRIMARY KEY (repository_id, digest))");
            } catch (SQLException e) {
                close();
                throw new MetadataException("metadata read failed", e);
            }
        }
    }

    private static void dropOverlay(Statement statement) throws SQLException {
        statement.execute("DROP TABLE IF EXISTS gc_gone_manifests");
        statement.execute("DROP TABLE IF EXISTS gc_gone_links");
    }

    // ---- untagged manifests

    @Override
    public List<Collectable.Manifest> untaggedManifests(String repository, long createdBefore, long afterId,
                                                        int limit) {
        return read(() -> {
            Long repositoryId = SqlMetadataStore.repositoryId(reads, repository);
            if (repositoryId == null) {
                return List.of();
            }
            List<Collectable.Manifest> result = new ArrayList<>();
            try (PreparedStatement ps = prepare(reads, "SELECT m.id, m.digest, m.size, m.created_at FROM manifests m "
                            + "WHERE m.repository_id = ? AND m.id > ? AND m.created_at < ? AND " + untagged()
                            + live("m.id") + " ORDER BY m.id LIMIT ?",
                    repositoryId, afterId, createdBefore, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new Collectable.Manifest(rs.getLong(1), repositoryId, repository,
                            Digest.parse(rs.getString(2)), rs.getLong(3), rs.getLong(4)));
                }
            }
            return result;
        });
    }

    @Override
    public List<Collectable.Manifest> deleteUntaggedManifests(List<Collectable.Manifest> candidates,
                                                              long createdBefore, long now) {
        if (candidates.isEmpty()) {
            return List.of();
        }
        if (dry) {
            return remember(candidates, manifest -> now);
        }
        return store.record((c, changes) -> {
            Map<Long, Collectable.Manifest> byId = new HashMap<>();
            candidates.forEach(manifest -> byId.put(manifest.id(), manifest));
            String ids = "m.id IN (" + placeholders(candidates.size()) + ")";
            Object[] keys = byId.keySet().stream().sorted().toArray();
            lockRepositories(c, candidates.stream().map(m -> new Owner(m.repositoryId(), m.repository())).toList());
            lockForUpdate(c, "SELECT m.id FROM manifests m WHERE " + ids + " ORDER BY m.id", keys);
            List<Collectable.Manifest> confirmed = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT m.id FROM manifests m WHERE " + ids
                    + " AND m.created_at < ? AND " + untagged(), append(keys, createdBefore));
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    confirmed.add(byId.get(rs.getLong(1)));
                }
            }
            deleteManifests(c, changes, confirmed, manifest -> now);
            return confirmed;
        });
    }

    /** No tag, no subject, and no index of the repository lists it (alias {@code m}). */
    private String untagged() {
        return "m.subject_digest IS NULL AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)"
                + notChild();
    }

    private String notChild() {
        return " AND NOT " + SqlMetadataStore.isChild("m", live("cp.id"));
    }

    // ---- referrers of deleted subjects

    @Override
    public List<Collectable.Manifest> orphanReferrers(long orphanedBefore, long afterId, int limit) {
        return read(() -> orphans(reads, "m.id > ?", new Object[] {afterId}, orphanedBefore, limit));
    }

    @Override
    public List<Collectable.Manifest> deleteOrphanReferrers(List<Collectable.Manifest> candidates,
                                                            long orphanedBefore) {
        if (candidates.isEmpty()) {
            return List.of();
        }
        if (dry) {
            return remember(candidates, Collectable.Manifest::since);
        }
        return store.record((c, changes) -> {
            Object[] keys = candidates.stream().map(Collectable.Manifest::id).sorted().toArray();
            String ids = "m.id IN (" + placeholders(keys.length) + ")";
            lockRepositories(c, candidates.stream().map(m -> new Owner(m.repositoryId(), m.repository())).toList());
            lockForUpdate(c, "SELECT m.id FROM manifests m WHERE " + ids + " ORDER BY m.id", keys);
            List<Collectable.Manifest> confirmed = orphans(c, ids, keys, orphanedBefore, keys.length);
            // A referrer goes as of when it became garbage, not now: its own referrers follow in this collection.
            deleteManifests(c, changes, confirmed, Collectable.Manifest::since);
            return confirmed;
        });
    }

    /**
     * Referrers whose subject is not in the repository, untagged and in no index, with the time they became
     * garbage: the later of their push and their subject's deletion.
     */
    private List<Collectable.Manifest> orphans(Connection c, String keyCondition, Object[] keys, long orphanedBefore,
                                               int limit) throws SQLException {
        String since = greatest("m.created_at", "COALESCE(d.deleted_at, 0)");
        if (dry) {
            since = greatest(since, "COALESCE(g.gone_at, 0)");
        }
        String sql = "SELECT o.id, o.repository_id, o.name, o.digest, o.size, o.since FROM (SELECT m.id, "
                + "m.repository_id, r.name, m.digest, m.size, " + since + " AS since FROM manifests m "
                + "JOIN repositories r ON r.id = m.repository_id "
                + "LEFT JOIN deleted_manifests d ON d.repository_id = m.repository_id AND d.digest = m.subject_digest "
                + (dry ? "LEFT JOIN gc_gone_manifests g ON g.repository_id = m.repository_id "
                        + "AND g.digest = m.subject_digest " : "")
                + "WHERE m.subject_digest IS NOT NULL AND " + keyCondition + live("m.id")
                + " AND NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = m.repository_id "
                + "AND s.digest = m.subject_digest" + live("s.id") + ")"
                + " AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)" + notChild()
                + ") o WHERE o.since < ? ORDER BY o.id LIMIT ?";
        List<Collectable.Manifest> result = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, append(append(keys, orphanedBefore), limit));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                result.add(new Collectable.Manifest(rs.getLong(1), rs.getLong(2), rs.getString(3),
                        Digest.parse(rs.getString(4)), rs.getLong(5), rs.getLong(6)));
            }
        }
        return result;
    }

    private static String greatest(String a, String b) {
        return "CASE WHEN " + a + " > " + b + " THEN " + a + " ELSE " + b + " END";
    }

    @Override
    public int forgetDeletedManifests(long deletedBefore) {
        if (dry) {
            return 0;
        }
        // A referrer pushed after this looks at its own push time, which is later than any forgotten deletion; a
        // deletion recorded meanwhile carries a new time, and the re-check of the row's time spares it.
        return store.write(c -> update(c, "DELETE FROM deleted_manifests WHERE deleted_at < ? AND NOT EXISTS "
                + "(SELECT 1 FROM manifests m WHERE m.repository_id = deleted_manifests.repository_id "
                + "AND m.subject_digest = deleted_manifests.digest)", deletedBefore));
    }

    private interface DeletedAt {
        long of(Collectable.Manifest manifest);
    }

    /** Deletes the manifests; the caller holds their repositories' locks ({@link RepositoryCounters}). */
    private static void deleteManifests(Connection c, List<Event> changes, List<Collectable.Manifest> manifests,
                                        DeletedAt deletedAt) throws SQLException {
        if (manifests.isEmpty()) {
            return;
        }
        Map<Long, Event> events = new HashMap<>();
        for (Collectable.Manifest manifest : manifests) {
            // untagged, or its tags would have kept it
            Event event = SqlMetadataStore.deletedManifest(c, manifest.repository(), manifest.id(),
                    manifest.digest(), List.of());
            events.put(manifest.id(), event);
            changes.add(event);
        }
        for (Collectable.Manifest manifest : manifests) {
            SqlMetadataStore.recordDeletion(c, manifest.repositoryId(), manifest.digest().toString(),
                    deletedAt.of(manifest));
        }
        Map<Long, List<Collectable.Manifest>> byRepository = new TreeMap<>();
        manifests.forEach(m -> byRepository.computeIfAbsent(m.repositoryId(), id -> new ArrayList<>()).add(m));
        for (Map.Entry<Long, List<Collectable.Manifest>> repository : byRepository.entrySet()) {
            long repositoryId = repository.getKey();
            Object[] ids = repository.getValue().stream().map(Collectable.Manifest::id).toArray();
            String in = "(" + placeholders(ids.length) + ")";
            // They, and the children they list, which become images unless another index lists them too.
            List<String> affected = SqlMetadataStore.strings(c, "SELECT digest FROM manifest_references "
                    + "WHERE kind = 'child' AND manifest_id IN " + in, ids);
            repository.getValue().forEach(m -> affected.add(m.digest().toString()));
            long imagesBefore = RepositoryCounters.images(c, repositoryId, affected);
            long tags = SqlMetadataStore.optionalLong(c, "SELECT COUNT(*) FROM tags WHERE manifest_id IN " + in, ids)
                    .orElse(0);
            long bytes = 0;
            long referrers = 0;
            for (Collectable.Manifest manifest : repository.getValue()) {
                Event event = events.get(manifest.id());
                bytes += event.size();
                referrers += event.subject() == null ? 0 : 1;
            }
            update(c, "DELETE FROM manifest_references WHERE manifest_id IN " + in, ids);
            update(c, "DELETE FROM manifests WHERE id IN " + in, ids);
            RepositoryCounters.add(c, repositoryId, -bytes,
                    RepositoryCounters.images(c, repositoryId, affected) - imagesBefore, -tags, -referrers);
        }
        SqlMetadataStore.bumpManifestEpoch(c);
    }

    private List<Collectable.Manifest> remember(List<Collectable.Manifest> manifests, DeletedAt goneAt) {
        return read(() -> {
            for (Collectable.Manifest manifest : manifests) {
                update(reads, "INSERT INTO gc_gone_manifests (id, repository_id, digest, gone_at) VALUES (?, ?, ?, ?)",
                        manifest.id(), manifest.repositoryId(), manifest.digest().toString(), goneAt.of(manifest));
            }
            return manifests;
        });
    }

    // ---- repository links

    @Override
    public List<Collectable.Link> unreferencedLinks(long createdBefore, Collectable.Link after, int limit) {
        long afterRepository = after == null ? -1 : after.repositoryId();
        String afterDigest = after == null ? "" : after.digest().toString();
        return read(() -> {
            List<Collectable.Link> result = new ArrayList<>();
            try (PreparedStatement ps = prepare(reads, "SELECT rb.repository_id, r.name, rb.digest, b.size "
                            + "FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id "
                            + "JOIN blobs b ON b.digest = rb.digest WHERE rb.created_at < ? "
                            + "AND (rb.repository_id > ? OR (rb.repository_id = ? AND rb.digest > ?)) AND "
                            + unreferencedLink() + " ORDER BY rb.repository_id, rb.digest LIMIT ?",
                    createdBefore, afterRepository, afterRepository, afterDigest, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new Collectable.Link(rs.getLong(1), rs.getString(2), Digest.parse(rs.getString(3)),
                            rs.getLong(4)));
                }
            }
            return result;
        });
    }

    @Override
    public List<Collectable.Link> deleteLinks(List<Collectable.Link> candidates, long createdBefore) {
        if (candidates.isEmpty()) {
            return List.of();
        }
        if (dry) {
            return read(() -> {
                for (Collectable.Link link : candidates) {
                    update(reads, "INSERT INTO gc_gone_links (repository_id, digest) VALUES (?, ?)",
                            link.repositoryId(), link.digest().toString());
                }
                return candidates;
            });
        }
        return store.record((c, changes) -> {
            List<Collectable.Link> sorted = new ArrayList<>(candidates);
            sorted.sort((a, b) -> a.repositoryId() != b.repositoryId()
                    ? Long.compare(a.repositoryId(), b.repositoryId())
                    : a.digest().toString().compareTo(b.digest().toString()));
            Map<String, Collectable.Link> byKey = new HashMap<>();
            List<Object> keys = new ArrayList<>();
            List<String> conditions = new ArrayList<>();
            for (Collectable.Link link : sorted) {
                byKey.put(link.repositoryId() + " " + link.digest(), link);
                keys.add(link.repositoryId());
                keys.add(link.digest().toString());
                conditions.add("(rb.repository_id = ? AND rb.digest = ?)");
            }
            String which = "(" + String.join(" OR ", conditions) + ")";
            lockRepositories(c, sorted.stream().map(link -> new Owner(link.repositoryId(), link.repository()))
                    .toList());
            lockForUpdate(c, "SELECT rb.repository_id FROM repository_blobs rb WHERE " + which
                    + " ORDER BY rb.repository_id, rb.digest", keys.toArray());
            List<Collectable.Link> confirmed = new ArrayList<>();
            Map<Long, Long> bytes = new TreeMap<>();
            keys.add(createdBefore);
            try (PreparedStatement ps = prepare(c, "SELECT rb.repository_id, rb.digest, rb.size "
                    + "FROM repository_blobs rb WHERE " + which + " AND rb.created_at < ? AND " + unreferencedLink(),
                    keys.toArray());
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    confirmed.add(byKey.get(rs.getLong(1) + " " + rs.getString(2)));
                    bytes.merge(rs.getLong(1), rs.getLong(3), Long::sum);
                }
            }
            try (PreparedStatement delete = c.prepareStatement(
                    "DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?")) {
                for (Collectable.Link link : confirmed) {
                    delete.setLong(1, link.repositoryId());
                    delete.setString(2, link.digest().toString());
                    delete.addBatch();
                }
                delete.executeBatch();
            }
            for (Collectable.Link link : confirmed) {
                NamespaceBlobs.unlinked(c, link.repository(), link.digest().toString());
            }
            for (Map.Entry<Long, Long> repository : bytes.entrySet()) {
                RepositoryCounters.add(c, repository.getKey(), -repository.getValue(), 0, 0, 0);
            }
            confirmed.forEach(link -> changes.add(Event.blob(EventType.BLOB_DELETED, link.repository(), link.digest(),
                    link.size())));
            return confirmed;
        });
    }

    /** No manifest of the link's repository references the blob (alias {@code rb}). */
    private String unreferencedLink() {
        return "NOT EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id "
                + "WHERE mr.digest = rb.digest AND m.repository_id = rb.repository_id" + live("m.id") + ")"
                + (dry ? " AND NOT EXISTS (SELECT 1 FROM gc_gone_links g WHERE g.repository_id = rb.repository_id "
                        + "AND g.digest = rb.digest)" : "");
    }

    // ---- blobs

    @Override
    public List<Collectable.Blob> unreferencedBlobs(long createdBefore, Digest after, int limit) {
        return read(() -> {
            List<Collectable.Blob> result = new ArrayList<>();
            try (PreparedStatement ps = prepare(reads, "SELECT b.digest, b.size FROM blobs b WHERE b.created_at < ? "
                            + "AND b.digest > ? AND " + unreferencedBlob() + " ORDER BY b.digest LIMIT ?",
                    createdBefore, after == null ? "" : after.toString(), limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new Collectable.Blob(Digest.parse(rs.getString(1)), rs.getLong(2)));
                }
            }
            return result;
        });
    }

    @Override
    public List<Collectable.Blob> deleteBlobs(List<Collectable.Blob> candidates, long createdBefore,
                                              BlobBytes bytes) {
        if (candidates.isEmpty() || dry) {
            return candidates;
        }
        return store.record((c, changes) -> {
            Map<String, Collectable.Blob> byDigest = new HashMap<>();
            candidates.forEach(blob -> byDigest.put(blob.digest().toString(), blob));
            Object[] keys = byDigest.keySet().stream().sorted().toArray();
            String which = "b.digest IN (" + placeholders(keys.length) + ")";
            lockForUpdate(c, "SELECT b.digest FROM blobs b WHERE " + which + " ORDER BY b.digest", keys);
            List<Collectable.Blob> confirmed = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT b.digest FROM blobs b WHERE " + which
                    + " AND b.created_at < ? AND " + unreferencedBlob(), append(keys, createdBefore));
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    confirmed.add(byDigest.get(rs.getString(1)));
                }
            }
            if (confirmed.isEmpty()) {
                return confirmed;
            }
            // The bytes go out of sight while the rows are locked: an upload of the same blob waits for the row, then
            // finds no bytes and stores its own. If the deletion fails, they come back before the locks go.
            List<Digest> hidden = new ArrayList<>();
            try {
                for (Collectable.Blob blob : confirmed) {
                    bytes.hide(blob.digest());
                    hidden.add(blob.digest());
                }
                Object[] digests = confirmed.stream().map(blob -> blob.digest().toString()).toArray();
                update(c, "DELETE FROM blobs WHERE digest IN (" + placeholders(digests.length) + ")", digests);
            } catch (SQLException | RuntimeException e) {
                hidden.forEach(bytes::restore);
                throw e;
            }
            confirmed.forEach(blob -> changes.add(Event.blob(EventType.BLOB_COLLECTED, null, blob.digest(),
                    blob.size())));
            return confirmed;
        });
    }

    /** No repository links the blob and no manifest references it (alias {@code b}). */
    private String unreferencedBlob() {
        return "NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest"
                + (dry ? " AND NOT EXISTS (SELECT 1 FROM gc_gone_links g WHERE g.repository_id = rb.repository_id "
                        + "AND g.digest = rb.digest)" : "")
                + ") AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.digest = b.digest"
                + live("mr.manifest_id") + ")";
    }

    @Override
    public boolean restoreIfStored(Digest digest, BlobBytes bytes) {
        return store.write(c -> {
            boolean stored = SqlMetadataStore.optionalLong(c, "SELECT 1 FROM blobs WHERE digest = ?"
                    + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : ""), digest.toString()).isPresent();
            if (stored) {
                bytes.restore(digest);
            }
            return stored;
        });
    }

    // ---- plumbing

    /** A repository whose rows a deletion changes. */
    private record Owner(long id, String name) {
    }

    /**
     * Takes the locks of the repositories whose rows a deletion changes, before any of those rows, in the order of
     * their names, which every writer that takes several follows.
     */
    private void lockRepositories(Connection c, List<Owner> owners) throws SQLException {
        Map<String, Long> byName = new TreeMap<>();
        owners.forEach(owner -> byName.put(owner.name(), owner.id()));
        for (long id : byName.values()) {
            RepositoryCounters.lock(c, dialect, id);
        }
    }

    /** Locks the rows a query selects, on PostgreSQL; SQLite's write transaction holds the whole database. */
    private void lockForUpdate(Connection c, String select, Object... args) throws SQLException {
        if (dialect != Dialect.POSTGRESQL) {
            return;
        }
        try (PreparedStatement ps = prepare(c, select + " FOR UPDATE", args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                // every row read is locked
            }
        }
    }

    /** In a dry sweep, excludes the manifests it would have deleted (by the id column given). */
    private String live(String manifestId) {
        return dry ? " AND " + manifestId + " NOT IN (SELECT id FROM gc_gone_manifests)" : "";
    }

    private static String placeholders(int count) {
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    private static Object[] append(Object[] values, Object value) {
        Object[] result = Arrays.copyOf(values, values.length + 1);
        result[values.length] = value;
        return result;
    }

    private interface Reading<T> {
        T run() throws SQLException;
    }

    /** Work on the read connection, which also holds a dry sweep's temporary tables. */
    private <T> T read(Reading<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw new MetadataException("metadata read failed", e);
        }
    }

    @Override
    public void close() {
        try (reads; Statement statement = reads.createStatement()) {
            if (dry) {
                dropOverlay(statement);
            }
        } catch (SQLException e) {
            // the connection goes back to the pool either way; temporary tables are dropped again on next use
        }
    }
}
