package io.berth.registry.metadata;

/**
 * What a write may not take a repository past, checked in the write's transaction once the write has changed the
 * repository's kept figures ({@link RepositoryCounters}): writes that race each other into one repository are checked
 * one after the other, each against what the others committed. Throwing refuses the change, which rolls back.
 */
@FunctionalInterface
public interface RepositoryLimit {
    RepositoryLimit NONE = (repository, sizeBytes, images, addedBytes, addedImages) -> { };

    /**
     * @param sizeBytes   the repository's bytes with the change
     * @param images      its images with the change
     * @param addedBytes  the bytes the change added (more than zero)
     * @param addedImages the images it added (or zero)
     */
    void check(String repository, long sizeBytes, long images, long addedBytes, long addedImages);
}
