package io.berth.registry.metadata;

import static io.berth.registry.metadata.SqlMetadataStore.update;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The blobs linked under each namespace ({@code namespace_blobs}): for every prefix of a repository's name that ends
 * with a {@code /}, and for the whole registry ({@code ""}), each blob its repositories link, once, with how many of
 * them link it. Every write that adds or removes a link changes them in its transaction, so a namespace's usage is a
 * sum over its own rows, each blob once, however many repositories share it, and as exact as the links.
 */
final class NamespaceBlobs {
    private NamespaceBlobs() {
    }

    /** The namespaces a repository is in, outermost first: {@code "", a/, a/b/} for {@code a/b/c}. */
    static List<String> of(String repository) {
        List<String> namespaces = new ArrayList<>(List.of(""));
        for (int slash = repository.indexOf('/'); slash >= 0; slash = repository.indexOf('/', slash + 1)) {
            namespaces.add(repository.substring(0, slash + 1));
        }
        return namespaces;
    }

    /** The repository now links the blob (a link its insert created). */
    static void linked(Connection c, String repository, String digest, long size) throws SQLException {
        for (String namespace : of(repository)) {
            update(c, "INSERT INTO namespace_blobs (namespace, digest, size, links) VALUES (?, ?, ?, 1) "
                    + "ON CONFLICT (namespace, digest) DO UPDATE SET links = namespace_blobs.links + 1",
                    namespace, digest, size);
        }
    }

    /** The repository no longer links the blob (a link its delete removed). */
    static void unlinked(Connection c, String repository, String digest) throws SQLException {
        for (String namespace : of(repository)) {
            update(c, "UPDATE namespace_blobs SET links = links - 1 WHERE namespace = ? AND digest = ?",
                    namespace, digest);
            update(c, "DELETE FROM namespace_blobs WHERE namespace = ? AND digest = ? AND links <= 0",
                    namespace, digest);
        }
    }

    /** The repository's links are about to be deleted, all at once. */
    static void unlinkingAll(Connection c, String repository, long repositoryId) throws SQLException {
        for (String namespace : of(repository)) {
            String linked = " WHERE namespace = ? AND digest IN "
                    + "(SELECT digest FROM repository_blobs WHERE repository_id = ?)";
            update(c, "UPDATE namespace_blobs SET links = links - 1" + linked, namespace, repositoryId);
            update(c, "DELETE FROM namespace_blobs" + linked + " AND links <= 0", namespace, repositoryId);
        }
    }
}
