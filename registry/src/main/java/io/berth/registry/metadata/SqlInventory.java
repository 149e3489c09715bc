package io.berth.registry.metadata;

import static io.berth.registry.metadata.SqlMetadataStore.prepare;

import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import io.berth.registry.Page;
import io.berth.registry.inventory.ImageInfo;
import io.berth.registry.inventory.ImageQuery;
import io.berth.registry.inventory.Inventory;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.inventory.RegistryUsage;
import io.berth.registry.inventory.RepositoryQuery;
import io.berth.registry.inventory.TagInfo;
import io.berth.registry.inventory.Usage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The inventory on SQL. A repository's counts, size and times are kept on its row by the writes
 * ({@link RepositoryCounters}), so that a page of repositories in any order is a walk of one index; the size of a page
 * of images is worked out from their references (and their children's) in a few queries per page, whatever the page
 * holds.
 */
final class SqlInventory implements Inventory {
    /** A manifest that is a child of an index of its repository. */
    private static final String IS_CHILD = SqlMetadataStore.isChild("m", "");
    /** A repository's summary, kept on its row by every write ({@link RepositoryCounters}). */
    private static final String REPOSITORY_COLUMNS = "name, created_at, image_count, tag_count, referrer_count, "
            + "size_bytes, pushed_at, pulled_at";
    /** The most repositories one usage query names (a statement's parameters are limited). */
    static final int MAX_NAMED = 30_000;
    private static final String MANIFEST_COLUMNS = "m.id, m.digest, m.media_type, m.artifact_type, m.subject_digest, "
            + "m.size, m.created_at, m.last_pulled_at";

    private final SqlMetadataStore store;
    private final Dialect dialect;

    SqlInventory(SqlMetadataStore store, Dialect dialect) {
        this.store = store;
        this.dialect = dialect;
    }

    // ---- repositories

    @Override
    public Page<RepositoryInfo> repositories(RepositoryQuery query) {
        List<Object> args = new ArrayList<>();
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        if (query.nameContains() != null && !query.nameContains().isEmpty()) {
            where.append(" AND name LIKE ? ESCAPE '!'");
            args.add("%" + like(query.nameContains()) + "%");
        }
        String order;
        if (query.sort() == RepositoryQuery.Sort.NAME) {
            if (query.cursor() != null) {
                where.append(" AND name > ?");
                args.add(query.cursor());
            }
            order = "name";
        } else {
            // The column's index (descending, then by name) gives the order; a page starts where the cursor's value
            // does, so that a deep page seeks to it instead of walking the pages before it.
            String column = query.sort() == RepositoryQuery.Sort.SIZE ? "size_bytes" : "pushed_at";
            if (query.cursor() != null) {
                Cursor cursor = Cursor.parse(query.cursor());
                where.append(" AND ").append(column).append(" <= ? AND (").append(column).append(" < ? OR name > ?)");
                args.addAll(List.of(cursor.value(), cursor.value(), cursor.key()));
            }
            order = column + " DESC, name";
        }
        args.add(query.limit() + 1);
        String sql = "SELECT " + REPOSITORY_COLUMNS + " FROM repositories" + where + " ORDER BY " + order + " LIMIT ?";
        List<RepositoryInfo> rows = store.read(c -> repositoryRows(c, sql, args.toArray()));
        if (rows.size() <= query.limit()) {
            return new Page<>(rows, null);
        }
        List<RepositoryInfo> page = rows.subList(0, query.limit());
        return new Page<>(page, RepositoryQuery.cursorAfter(query.sort(), page.getLast()));
    }

    @Override
    public Optional<RepositoryInfo> repository(String name) {
        return store.read(c -> repositoryRows(c, "SELECT " + REPOSITORY_COLUMNS + " FROM repositories "
                + "WHERE name = ?", name)).stream().findFirst();
    }

    private static List<RepositoryInfo> repositoryRows(Connection c, String sql, Object... args) throws SQLException {
        List<RepositoryInfo> result = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long pushed = rs.getLong("pushed_at");
                result.add(new RepositoryInfo(rs.getString("name"), rs.getLong("image_count"),
                        rs.getLong("tag_count"), rs.getLong("referrer_count"), rs.getLong("size_bytes"),
                        instant(rs, "created_at"), pushed == 0 ? null : Instant.ofEpochMilli(pushed),
                        instant(rs, "pulled_at")));
            }
        }
        return result;
    }

    // ---- images

    @Override
    public Page<ImageInfo> images(String repository, ImageQuery query) {
        List<Object> args = new ArrayList<>(List.of(repository));
        StringBuilder sql = new StringBuilder("SELECT " + MANIFEST_COLUMNS + " FROM manifests m JOIN repositories r "
                + "ON r.id = m.repository_id WHERE r.name = ? AND NOT " + IS_CHILD);
        switch (query.kind()) {
            case IMAGES -> sql.append(" AND m.subject_digest IS NULL");
            case REFERRERS -> sql.append(" AND m.subject_digest IS NOT NULL");
            case ALL -> { }
        }
        switch (query.tagged()) {
            case TAGGED -> sql.append(" AND EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)");
            case UNTAGGED -> sql.append(" AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)");
            case ANY -> { }
        }
        if (query.artifactType() != null) {
            sql.append(" AND m.artifact_type = ?");
            args.add(query.artifactType());
        }
        // Both keys in one direction, so that the index on (repository, push time, digest) gives the order.
        String after = query.oldestFirst() ? ">" : "<";
        String direction = query.oldestFirst() ? "ASC" : "DESC";
        if (query.cursor() != null) {
            Cursor cursor = Cursor.parse(query.cursor());
            // The first condition is a range of the index, which a deep page seeks to instead of walking to it.
            sql.append(" AND m.created_at ").append(after).append("= ? AND (m.created_at ").append(after)
                    .append(" ? OR m.digest ").append(after).append(" ?)");
            args.addAll(List.of(cursor.value(), cursor.value(), cursor.key()));
        }
        sql.append(" ORDER BY m.created_at ").append(direction).append(", m.digest ").append(direction)
                .append(" LIMIT ?");
        args.add(query.limit() + 1);
        List<ImageInfo> rows = store.read(c -> described(c, manifestRows(c, sql.toString(), args.toArray())));
        if (rows.size() <= query.limit()) {
            return new Page<>(rows, null);
        }
        List<ImageInfo> page = rows.subList(0, query.limit());
        return new Page<>(page, page.getLast().pushedAt().toEpochMilli() + ":" + page.getLast().digest());
    }

    @Override
    public OptionalLong generation(String repository) {
        return store.read(c -> SqlMetadataStore.optionalLong(c, "SELECT generation FROM repositories WHERE name = ?",
                repository));
    }

    @Override
    public Optional<ImageInfo> image(String repository, Digest digest) {
        return store.read(c -> described(c, manifestRows(c, "SELECT " + MANIFEST_COLUMNS + " FROM manifests m JOIN "
                + "repositories r ON r.id = m.repository_id WHERE r.name = ? AND m.digest = ?", repository,
                digest.toString()))).stream().findFirst();
    }

    @Override
    public List<ImageInfo> referrers(String repository, Digest subject) {
        return store.read(c -> described(c, manifestRows(c, "SELECT " + MANIFEST_COLUMNS + " FROM manifests m JOIN "
                + "repositories r ON r.id = m.repository_id WHERE r.name = ? AND m.subject_digest = ? "
                + "ORDER BY m.created_at, m.digest", repository, subject.toString())));
    }

    /** A manifest's row: its id, the repository's, and what the listing shows before tags and sizes. */
    private record Row(long id, Digest digest, String mediaType, String artifactType, Digest subject, long size,
                       Instant pushedAt, Instant lastPulledAt) {
    }

    private static List<Row> manifestRows(Connection c, String sql, Object... args) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String subject = rs.getString(5);
                rows.add(new Row(rs.getLong(1), Digest.parse(rs.getString(2)), rs.getString(3), rs.getString(4),
                        subject == null ? null : Digest.parse(subject), rs.getLong(6), instant(rs, "created_at"),
                        instant(rs, "last_pulled_at")));
            }
        }
        return rows;
    }

    /** The rows with their tags and sizes. */
    private static List<ImageInfo> described(Connection c, List<Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return List.of();
        }
        List<Long> ids = rows.stream().map(Row::id).toList();
        Map<Long, List<String>> tags = new HashMap<>();
        try (PreparedStatement ps = prepare(c, "SELECT manifest_id, name FROM tags WHERE manifest_id IN "
                + placeholders(ids) + " ORDER BY name", ids.toArray());
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                tags.computeIfAbsent(rs.getLong(1), id -> new ArrayList<>()).add(rs.getString(2));
            }
        }
        Map<Long, Long> sizes = sizes(c, rows);
        Map<Long, List<String>> platforms = platforms(c, rows);
        List<ImageInfo> result = new ArrayList<>();
        for (Row row : rows) {
            result.add(new ImageInfo(row.digest(), row.mediaType(), row.artifactType(), row.subject(),
                    tags.getOrDefault(row.id(), List.of()), row.size(), sizes.get(row.id()),
                    platforms.getOrDefault(row.id(), List.of()), row.pushedAt(), row.lastPulledAt()));
        }
        return result;
    }

    /** The platforms of the indexes among the rows, from their stored bytes. */
    private static Map<Long, List<String>> platforms(Connection c, List<Row> rows) throws SQLException {
        List<Long> indexes = rows.stream().filter(row -> MediaTypes.isIndex(row.mediaType())).map(Row::id).toList();
        Map<Long, List<String>> platforms = new HashMap<>();
        if (indexes.isEmpty()) {
            return platforms;
        }
        try (PreparedStatement ps = prepare(c, "SELECT id, media_type, payload FROM manifests WHERE id IN "
                + placeholders(indexes), indexes.toArray());
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                platforms.put(rs.getLong(1), Manifest.parse(rs.getBytes(3), rs.getString(2)).platforms());
            }
        }
        return platforms;
    }

    /**
     * Each manifest's bytes with those of the blobs and child manifests it uses, down through indexes of indexes,
     * each digest counted once per manifest. Most manifests reference blobs only: the database sums their distinct
     * blobs, in the query that tells which of them list children, whose trees are walked here.
     */
    private static Map<Long, Long> sizes(Connection c, List<Row> rows) throws SQLException {
        List<Long> ids = rows.stream().map(Row::id).toList();
        Map<Long, Long> blobBytes = new HashMap<>();
        Set<Long> parents = new HashSet<>();
        try (PreparedStatement ps = prepare(c, "SELECT d.manifest_id, MAX(d.child), COALESCE(SUM(d.size), 0) "
                + "FROM (SELECT r.manifest_id, MAX(CASE WHEN r.kind = 'child' THEN 1 ELSE 0 END) AS child, "
                + "MAX(b.size) AS size FROM manifest_references r LEFT JOIN blobs b ON b.digest = r.digest "
                + "WHERE r.manifest_id IN " + placeholders(ids) + " GROUP BY r.manifest_id, r.digest) d "
                + "GROUP BY d.manifest_id", ids.toArray());
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (rs.getInt(2) > 0) {
                    parents.add(rs.getLong(1));
                }
                blobBytes.put(rs.getLong(1), rs.getLong(3));
            }
        }
        Map<Long, Long> sizes = new HashMap<>();
        List<Row> indexes = new ArrayList<>();
        for (Row row : rows) {
            if (parents.contains(row.id())) {
                indexes.add(row);
            } else {
                sizes.put(row.id(), row.size() + blobBytes.getOrDefault(row.id(), 0L));
            }
        }
        if (!indexes.isEmpty()) {
            sizes.putAll(treeSizes(c, indexes));
        }
        return sizes;
    }

    /** {@link #sizes} of manifests that list children: their trees, each digest counted once per manifest. */
    private static Map<Long, Long> treeSizes(Connection c, List<Row> rows) throws SQLException {
        // What each manifest (the rows and, as they are found, their children) references directly.
        Map<Long, Set<Content>> direct = new HashMap<>();
        Map<Long, Long> repositoryOf = new HashMap<>();
        Set<Long> toRead = new HashSet<>(rows.stream().map(Row::id).toList());
        while (!toRead.isEmpty()) {
            Map<Long, List<String>> children = new LinkedHashMap<>();
            try (PreparedStatement ps = prepare(c, "SELECT r.manifest_id, r.digest, r.kind, b.size, m.repository_id "
                    + "FROM manifest_references r JOIN manifests m ON m.id = r.manifest_id "
                    + "LEFT JOIN blobs b ON b.digest = r.digest WHERE r.manifest_id IN " + placeholders(toRead),
                    toRead.toArray());
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    Set<Content> contents = direct.computeIfAbsent(id, key -> new HashSet<>());
                    if (rs.getString(3).equals("child")) {
                        repositoryOf.put(id, rs.getLong(5));
                        children.computeIfAbsent(id, key -> new ArrayList<>()).add(rs.getString(2));
                    } else {
                        long size = rs.getLong(4);
                        contents.add(new Content(rs.getString(2), rs.wasNull() ? 0 : size, -1));
                    }
                }
            }
            toRead.forEach(id -> direct.computeIfAbsent(id, key -> new HashSet<>()));
            toRead = new HashSet<>();
            for (Map.Entry<Long, List<String>> parent : children.entrySet()) {
                for (String child : parent.getValue()) {
                    try (PreparedStatement ps = prepare(c, "SELECT id, size FROM manifests WHERE repository_id = ? "
                            + "AND digest = ?", repositoryOf.get(parent.getKey()), child);
                         ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            direct.get(parent.getKey()).add(new Content(child, rs.getLong(2), rs.getLong(1)));
                            if (!direct.containsKey(rs.getLong(1))) {
                                toRead.add(rs.getLong(1));
                            }
                        }
                    }
                }
            }
        }
        Map<Long, Long> sizes = new HashMap<>();
        for (Row row : rows) {
            Map<String, Long> unique = new HashMap<>();
            collect(row.id(), direct, unique, new HashSet<>());
            sizes.put(row.id(), row.size() + unique.values().stream().mapToLong(Long::longValue).sum());
        }
        return sizes;
    }

    /** A blob or child manifest a manifest references: {@code manifestId} is -1 for a blob. */
    private record Content(String digest, long size, long manifestId) {
    }

    private static void collect(long id, Map<Long, Set<Content>> direct, Map<String, Long> unique, Set<Long> seen) {
        if (!seen.add(id)) {
            return;
        }
        for (Content content : direct.getOrDefault(id, Set.of())) {
            unique.put(content.digest(), content.size());
            if (content.manifestId() >= 0) {
                collect(content.manifestId(), direct, unique, seen);
            }
        }
    }

    // ---- tags

    @Override
    public Page<TagInfo> tags(String repository, String after, int limit) {
        List<TagInfo> rows = store.read(c -> {
            List<TagInfo> result = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT t.name, m.digest, t.updated_at FROM tags t "
                    + "JOIN manifests m ON m.id = t.manifest_id JOIN repositories r ON r.id = t.repository_id "
                    + "WHERE r.name = ? AND t.name > ? ORDER BY t.name LIMIT ?", repository, after == null ? "" : after,
                    limit + 1);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(new TagInfo(rs.getString(1), Digest.parse(rs.getString(2)), instant(rs, "updated_at")));
                }
            }
            return result;
        });
        return rows.size() <= limit ? new Page<>(rows, null)
                : new Page<>(rows.subList(0, limit), rows.get(limit - 1).name());
    }

    // ---- usage

    @Override
    public List<String> repositoryNames(String prefix) {
        return store.read(c -> SqlMetadataStore.strings(c, "SELECT name FROM repositories WHERE name LIKE ? ESCAPE '!' "
                + "ORDER BY name", like(prefix) + "%"));
    }

    @Override
    public Usage usage(List<String> repositories) {
        if (repositories.isEmpty()) {
            return new Usage(0, 0, 0);
        }
        if (repositories.size() > MAX_NAMED) {
            throw new IllegalArgumentException("more than " + MAX_NAMED + " repositories");
        }
        return store.read(c -> {
            List<Object> ids = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT id FROM repositories WHERE name IN "
                    + placeholders(repositories), repositories.toArray());
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            if (ids.isEmpty()) {
                return new Usage(0, 0, 0);
            }
            String chosen = " WHERE repository_id IN " + placeholders(ids);
            Object[] args = ids.toArray();
            // Each blob once: the links' sizes grouped by digest. SQLite, which has no statistics to choose by, reads
            // the chosen repositories' links and sorts them by digest; when they are a good part of all links, walking
            // the index of every link in digest order, which needs no sort, is several times cheaper.
            String links = "repository_blobs";
            if (dialect == Dialect.SQLITE) {
                long chosenLinks = count(c, "SELECT COUNT(*) FROM repository_blobs" + chosen, args);
                if (chosenLinks * 4 > count(c, "SELECT COUNT(*) FROM repository_blobs")) {
                    links = "repository_blobs INDEXED BY repository_blobs_by_digest";
                }
            }
            long blobBytes = count(c, "SELECT COALESCE(SUM(x.size), 0) FROM (SELECT MAX(size) AS size FROM " + links
                    + chosen + " GROUP BY digest) x", args);
            long manifestBytes = count(c, "SELECT COALESCE(SUM(size), 0) FROM manifests" + chosen, args);
            return new Usage(ids.size(), blobBytes, manifestBytes);
        });
    }

    @Override
    public Usage namespaceUsage(String namespace) {
        if (!namespace.isEmpty() && !namespace.endsWith("/")) {
            throw new IllegalArgumentException("not a namespace: " + namespace);
        }
        return store.read(c -> {
            String repositories = "FROM repositories r WHERE r.name LIKE ? ESCAPE '!'";
            String prefix = like(namespace) + "%";
            return new Usage(count(c, "SELECT COUNT(*) " + repositories, prefix),
                    count(c, "SELECT COALESCE(SUM(size), 0) FROM namespace_blobs WHERE namespace = ?", namespace),
                    count(c, "SELECT COALESCE(SUM(m.size), 0) FROM manifests m WHERE m.repository_id IN (SELECT r.id "
                            + repositories + ")", prefix));
        });
    }

    @Override
    public RegistryUsage registryUsage() {
        // Each table read once. The blobs no manifest references are all blobs less the referenced ones, which are
        // found from the distinct referenced digests (the index gives them in order) rather than by looking for a
        // reference of each blob: registries hold many more blobs than distinct references, and loose blobs most.
        return store.read(c -> {
            try (PreparedStatement ps = prepare(c, "SELECT (SELECT COUNT(*) FROM repositories), b.n, b.bytes, m.n, "
                    + "m.bytes, b.n - r.n, b.bytes - r.bytes "
                    + "FROM (SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM blobs) b "
                    + "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM manifests) m "
                    + "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(x.size), 0) AS bytes FROM "
                    + "(SELECT DISTINCT digest FROM manifest_references) d JOIN blobs x ON x.digest = d.digest) r");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new RegistryUsage(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6), rs.getLong(7));
            }
        });
    }

    private static long count(Connection c, String sql, Object... args) throws SQLException {
        return SqlMetadataStore.optionalLong(c, sql, args).orElse(0);
    }

    // ---- plumbing

    /** {@code text} for a {@code LIKE ... ESCAPE '!'} that matches it literally. */
    private static String like(String text) {
        return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }

    /** Where a page sorted by a number starts: after {@code value:key}, where the key breaks ties. */
    private record Cursor(long value, String key) {
        static Cursor parse(String text) {
            int colon = text.indexOf(':');
            try {
                return new Cursor(Long.parseLong(text.substring(0, Math.max(colon, 0))), text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a cursor of this listing: " + text);
            }
        }
    }

    private static String placeholders(Collection<?> values) {
        return values.stream().map(value -> "?").collect(Collectors.joining(", ", "(", ")"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
