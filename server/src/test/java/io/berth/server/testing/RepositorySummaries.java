package io.berth.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The summary the metadata store keeps on each repository's row (size, counts, last push and pull), checked against
 * the same figures computed from the repository's manifests, tags and links, and each link's size against its
 * blob's: a test that ends with {@link #assertExact} catches a write that forgets to count what it changes.
 */
public final class RepositorySummaries {
    /** Images: manifests without a subject that no index of the repository lists. */
    private static final String FROM_ROWS = "SELECT r.name, r.size_bytes, r.image_count, r.tag_count, "
            + "r.referrer_count, r.pushed_at, r.pulled_at, "
            + "(SELECT COALESCE(SUM(b.size), 0) FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest "
            + "WHERE rb.repository_id = r.id) + (SELECT COALESCE(SUM(m.size), 0) FROM manifests m "
            + "WHERE m.repository_id = r.id), "
            + "(SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id AND m.subject_digest IS NULL "
            + "AND NOT EXISTS (SELECT 1 FROM manifest_references cr JOIN manifests cp ON cp.id = cr.manifest_id "
            + "WHERE cr.digest = m.digest AND cr.kind = 'child' AND cp.repository_id = r.id)), "
            + "(SELECT COUNT(*) FROM tags t WHERE t.repository_id = r.id), "
            + "(SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id AND m.subject_digest IS NOT NULL), "
            + "(SELECT COALESCE(MAX(u.at), 0) FROM (SELECT created_at AS at FROM manifests WHERE repository_id = r.id "
            + "UNION ALL SELECT updated_at FROM tags WHERE repository_id = r.id) u), "
            + "(SELECT COALESCE(MAX(m.last_pulled_at), 0) FROM manifests m WHERE m.repository_id = r.id) "
            + "FROM repositories r ORDER BY r.name";

    private RepositorySummaries() {
    }

    /** A repository's figures: bytes, images, tags, referrers. */
    public record Counts(long bytes, long images, long tags, long referrers) {
    }

    /**
     * Every repository's kept counts equal those computed from its rows, and its kept times are no earlier than those
     * of its rows (they stay when the manifest or tag that set them is deleted); every link records its blob's size.
     *
     * @param url the metadata database's JDBC URL
     * @return the kept counts, by repository name
     */
    public static Map<String, Counts> assertExact(String url) {
        return check(url, true);
    }

    /**
     * As {@link #assertExact}, without the times: for tests that set times in the database directly, which the kept
     * ones do not follow.
     */
    public static Map<String, Counts> assertCountsExact(String url) {
        return check(url, false);
    }

    private static Map<String, Counts> check(String url, boolean times) {
        Map<String, Counts> kept = new TreeMap<>();
        Map<String, Counts> computed = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(url)) {
            try (PreparedStatement ps = c.prepareStatement(FROM_ROWS); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    kept.put(name, new Counts(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
                    computed.put(name, new Counts(rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11)));
                    if (times) {
                        assertThat(rs.getLong(6)).as("last push of %s", name).isGreaterThanOrEqualTo(rs.getLong(12));
                        assertThat(rs.getLong(7)).as("last pull of %s", name).isGreaterThanOrEqualTo(rs.getLong(13));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT rb.digest, rb.size, b.size FROM repository_blobs rb "
                    + "JOIN blobs b ON b.digest = rb.digest WHERE rb.size <> b.size");
                 ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("a link whose size is not its blob's").isFalse();
            }
            assertThat(namespaceBlobs(c)).as("blobs kept per namespace (size, links)").isEqualTo(namespaces(c));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(kept).as("repositories' kept counts (bytes, images, tags, referrers)").isEqualTo(computed);
        return kept;
    }

    /** Each namespace's blobs as kept: "namespace digest" to size and links. */
    public static Map<String, List<Long>> namespaceBlobs(String url) {
        try (Connection c = DriverManager.getConnection(url)) {
            return namespaceBlobs(c);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<Long>> namespaceBlobs(Connection c) throws SQLException {
        Map<String, List<Long>> kept = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT namespace, digest, size, links FROM namespace_blobs");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                kept.put(rs.getString(1) + " " + rs.getString(2), List.of(rs.getLong(3), rs.getLong(4)));
            }
        }
        return kept;
    }

    /** Each namespace's blobs as the links give them: every prefix of a repository's name up to a '/', and "". */
    private static Map<String, List<Long>> namespaces(Connection c) throws SQLException {
        Map<String, List<Long>> computed = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT r.name, rb.digest, rb.size FROM repository_blobs rb "
                + "JOIN repositories r ON r.id = rb.repository_id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String name = rs.getString(1);
                computed.merge(" " + rs.getString(2), List.of(rs.getLong(3), 1L),
                        (a, b) -> List.of(a.get(0), a.get(1) + b.get(1))); // the whole registry
                for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
                    computed.merge(name.substring(0, slash + 1) + " " + rs.getString(2), List.of(rs.getLong(3), 1L),
                            (a, b) -> List.of(a.get(0), a.get(1) + b.get(1)));
                }
            }
        }
        return computed;
    }

    /** The kept counts of one repository, checked as {@link #assertExact} checks all; null when there is none. */
    public static Counts assertExact(String url, String repository) {
        return assertExact(url).get(repository);
    }
}
