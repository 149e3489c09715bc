package io.berth.registry.metadata;

/**
 * Names one state of a repository's manifests and tags: its row's id (new when a deleted repository is created again,
 * as PostgreSQL never hands out an identity twice) and its generation, which every write of its manifests and tags
 * raises in its transaction ({@link RepositoryCounters}). A listing computed after reading a version is that
 * version's or a later one's, so it may be kept under the version and served while the version is current.
 */
public record RepositoryVersion(long id, long generation) {
}
