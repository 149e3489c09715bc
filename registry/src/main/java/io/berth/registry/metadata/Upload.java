package io.berth.registry.metadata;

/**
 * An upload session: bytes received so far, for a repository.
 *
 * @param sha256State the saved SHA-256 state of its first {@code size} bytes, or null when none was saved
 */
public record Upload(String id, String repository, long size, long startedAt, long updatedAt, byte[] sha256State) {
    public Upload(String id, String repository, long size, long startedAt, long updatedAt) {
        this(id, repository, size, startedAt, updatedAt, null);
    }
}
