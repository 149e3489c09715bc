package io.berth.registry.metadata;

import static io.berth.registry.metadata.SqlMetadataStore.optionalLong;
import static io.berth.registry.metadata.SqlMetadataStore.prepare;
import static io.berth.registry.metadata.SqlMetadataStore.update;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * A repository's summary on its own row ({@code size_bytes}, {@code image_count}, {@code tag_count},
 * {@code referrer_count}, {@code pushed_at}, {@code pulled_at}), changed by each write in the write's transaction, so
 * that listings read it instead of the repository's rows and a crash leaves it as exact as the rows.
 *
 * <p>Counts change by deltas ({@code n = n + ?}), never by a value read and written back. A delta is exact when the
 * write knows what it changed: a link is counted when its insert inserted a row; and every writer of a repository's
 * manifests and tags, or that deletes its links, first takes the repository's row lock ({@link #lock}), so on
 * PostgreSQL such writers of one repository run one after the other, and what one reads before its change is what
 * the change applies to, as on SQLite, whose writer holds the whole database. Writers that only add links (uploads,
 * mounts) update the row last instead, so that uploads into one repository do not wait for each other's bytes; a
 * new link is invisible to other transactions until it commits, so they never wait on it while holding the lock.
 *
 * <p>Each change also raises the repository's {@code generation}: every write of its manifests and tags changes a
 * count or the last push, so comes here, and a page of its images computed at one generation stays valid until the
 * next (pull times raise it where they are written).
 *
 * <p>Whether a manifest is an image depends on other manifests (an index that lists it makes it a child), so a write
 * counts the images among the manifests it can affect, itself and its children, before and after the change, and
 * adds the difference.
 */
final class RepositoryCounters {
    private RepositoryCounters() {
    }

    /** Takes the repository's row lock until the transaction ends (PostgreSQL; SQLite's writer holds everything). */
    static void lock(Connection c, Dialect dialect, long repositoryId) throws SQLException {
        if (dialect == Dialect.POSTGRESQL) {
            // NO KEY UPDATE: links and manifests being inserted meanwhile take KEY SHARE on the row for their
            // foreign key, and need not wait.
            optionalLong(c, "SELECT id FROM repositories WHERE id = ? FOR NO KEY UPDATE", repositoryId);
        }
    }

    /** How many of the manifests with these digests are images of the repository: no subject, no index lists them. */
    static long images(Connection c, long repositoryId, Collection<String> digests) throws SQLException {
        if (digests.isEmpty()) {
            return 0;
        }
        Object[] args = new Object[digests.size() + 1];
        args[0] = repositoryId;
        int i = 1;
        for (String digest : digests) {
            args[i++] = digest;
        }
        try (PreparedStatement ps = prepare(c, "SELECT COUNT(*) FROM manifests m WHERE m.repository_id = ? "
                + "AND m.digest IN " + digests.stream().map(d -> "?").collect(Collectors.joining(", ", "(", ")"))
                + " AND m.subject_digest IS NULL AND NOT " + SqlMetadataStore.isChild("m", ""), args);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Adds to the repository's bytes and counts. */
    static void add(Connection c, long repositoryId, long bytes, long images, long tags, long referrers)
            throws SQLException {
        if (bytes != 0 || images != 0 || tags != 0 || referrers != 0) {
            update(c, "UPDATE repositories SET size_bytes = size_bytes + ?, image_count = image_count + ?, "
                    + "tag_count = tag_count + ?, referrer_count = referrer_count + ?, generation = generation + 1 "
                    + "WHERE id = ?",
                    bytes, images, tags, referrers, repositoryId);
        }
    }

    /** Adds to the counts as {@link #add}, and records a push (a manifest stored or a tag set) at {@code at}. */
    static void pushed(Connection c, long repositoryId, long at, long bytes, long images, long tags, long referrers)
            throws SQLException {
        update(c, "UPDATE repositories SET size_bytes = size_bytes + ?, image_count = image_count + ?, "
                + "tag_count = tag_count + ?, referrer_count = referrer_count + ?, generation = generation + 1, "
                + "pushed_at = CASE WHEN pushed_at < ? THEN ? ELSE pushed_at END WHERE id = ?",
                bytes, images, tags, referrers, at, at, repositoryId);
    }

    /** Lets {@code limit} refuse a change that added to the repository, seeing its figures with the change. */
    static void check(Connection c, long repositoryId, String repository, long addedBytes, long addedImages,
                      RepositoryLimit limit) throws SQLException {
        if (limit == RepositoryLimit.NONE || addedBytes <= 0) {
            return;
        }
        try (PreparedStatement ps = prepare(c, "SELECT size_bytes, image_count FROM repositories WHERE id = ?",
                repositoryId);
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                limit.check(repository, rs.getLong(1), rs.getLong(2), addedBytes, addedImages);
            }
        }
    }
}
