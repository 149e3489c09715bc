package io.berth.registry.metadata;

/** An upload session: bytes received so far, for a repository. */
public record Upload(String id, String repository, long size, long startedAt, long updatedAt) {
}
