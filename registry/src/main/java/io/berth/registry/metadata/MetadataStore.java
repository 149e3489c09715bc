package io.berth.registry.metadata;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The source of truth for what exists: repositories, blob links, manifests, tags, references, subjects, upload
 * sessions and robot accounts. Each method is one transaction. Lists are sorted and paged by "after this key, at most limit".
 */
public interface MetadataStore extends AutoCloseable {

    boolean repositoryExists(String repository);

    List<String> repositories(String after, int limit);

    /** Size of a blob known anywhere in the registry. */
    OptionalLong blobSize(Digest digest);

    /** Size of a blob the repository may serve. */
    OptionalLong linkedBlobSize(String repository, Digest digest);

    /** Records a committed blob and lets the repository serve it, creating the repository if needed. */
    void linkBlob(String repository, Digest digest, long size);

    boolean unlinkBlob(String repository, Digest digest);

    /** Ends an upload session whose bytes became blob {@code digest}: links the blob and forgets the session. */
    void completeUpload(String uploadId, String repository, Digest digest, long size);

    /**
     * Stores a manifest with its references and points the tags at it, all in one transaction, unless a required
     * reference is missing from the repository or an immutable tag points to another manifest.
     *
     * @param immutableTags those of {@code tags} that may be created, or kept on this manifest, but not moved: the
     *                      check is part of the transaction, so of two pushes racing to create one such tag, one
     *                      wins and the other is refused
     * @return the missing required references; when not empty nothing was stored
     * @throws TagImmutableException when one of {@code immutableTags} points to another manifest; nothing was stored
     */
    List<Reference> putManifest(String repository, StoredManifest manifest, List<Reference> references,
                                List<String> tags, Set<String> immutableTags);

    Optional<StoredManifest> manifest(String repository, Digest digest);

    Optional<Digest> resolveTag(String repository, String tag);

    /** Deletes a manifest and the tags that point at it. */
    boolean deleteManifest(String repository, Digest digest);

    boolean deleteTag(String repository, String tag);

    List<String> tags(String repository, String after, int limit);

    /** Descriptors of the manifests whose subject is {@code subject}, by digest. */
    List<Descriptor> referrers(String repository, Digest subject, String artifactType, String afterDigest,
                               int limit);

    void createUpload(Upload upload);

    Optional<Upload> upload(String id);

    void updateUpload(String id, long size, long updatedAt);

    void deleteUpload(String id);

    List<Upload> uploadsUpdatedBefore(long epochMillis, int limit);

    /**
     * Stores a new robot account.
     *
     * @throws IllegalStateException when a robot of that name exists already
     */
    void createRobot(Robot robot);

    Optional<Robot> robotByTokenHash(String tokenHash);

    /** Every robot account, by name. */
    List<Robot> robots();

    boolean deleteRobot(String name);

    @Override
    void close();
}
