package io.berth.registry.metadata;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.registry.events.EventLog;
import io.berth.registry.inventory.Inventory;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The source of truth for what exists: repositories, blob links, manifests, tags, references, subjects, upload
 * sessions, robot accounts and lifecycle policies. Each method is one transaction; those that change what the
 * registry holds record an event of each change in the outbox ({@link #events}) in that same transaction. Lists are
 * sorted and paged by "after this key, at most limit".
 */
public interface MetadataStore extends AutoCloseable {

    boolean repositoryExists(String repository);

    List<String> repositories(String after, int limit);

    /** Size of a blob known anywhere in the registry. */
    OptionalLong blobSize(Digest digest);

    /** Size of a blob the repository may serve. */
    OptionalLong linkedBlobSize(String repository, Digest digest);

    /**
     * Lets the repository serve a blob the registry holds, creating the repository if needed: any blob when
     * {@code from} is null, else one that repository may serve. Holds the blob's row meanwhile, so a concurrent
     * garbage collection either finds the new link or has removed the blob first.
     *
     * @param limit checked when the link is new, in the transaction
     * @return false when the blob (or {@code from}'s link to it) is not there, and nothing changed
     */
    boolean mountBlob(String repository, Digest digest, String from, RepositoryLimit limit);

    boolean unlinkBlob(String repository, Digest digest);

    /**
     * Ends an upload session whose bytes became blob {@code digest}: records the blob, links it (a link that exists
     * is renewed, which keeps garbage collection off it for its grace period) and forgets the session.
     *
     * @param storeBytes makes sure the blob's bytes are stored; runs while the blob's row is held, so that no
     *                   garbage collection can remove them between its check and the commit
     * @param limit      checked when the link is new, in the transaction
     */
    void completeUpload(String uploadId, String repository, Digest digest, long size, Runnable storeBytes,
                        RepositoryLimit limit);

    /**
     * Stores a manifest with its references and points the tags at it, all in one transaction, unless a required
     * reference is missing from the repository or an immutable tag points to another manifest.
     *
     * @param immutableTags those of {@code tags} that may be created, or kept on this manifest, but not moved: the
     *                      check is part of the transaction, so of two pushes racing to create one such tag, one
     *                      wins and the other is refused
     * @param platforms     for an index, its children's platforms, for the event of the push
     * @param limit         checked when the manifest is new, in the transaction
     * @return the missing required references; when not empty nothing was stored
     * @throws TagImmutableException when one of {@code immutableTags} points to another manifest; nothing was stored
     */
    List<Reference> putManifest(String repository, StoredManifest manifest, List<Reference> references,
                                List<String> tags, Set<String> immutableTags, List<String> platforms,
                                RepositoryLimit limit);

    Optional<StoredManifest> manifest(String repository, Digest digest);

    Optional<Digest> resolveTag(String repository, String tag);

    /** Whether the repository holds the manifest: one indexed read, for servers that keep its bytes in memory. */
    boolean holdsManifest(String repository, Digest digest);

    /** The repository's current version, which listings cached in memory are checked against; empty when unknown. */
    Optional<RepositoryVersion> repositoryVersion(String repository);

    /** Deletes a manifest and the tags that point at it. */
    boolean deleteManifest(String repository, Digest digest);

    boolean deleteTag(String repository, String tag);

    List<String> tags(String repository, String after, int limit);

    /** Descriptors of the manifests whose subject is {@code subject}, by digest. */
    List<Descriptor> referrers(String repository, Digest subject, String artifactType, String afterDigest,
                               int limit);

    // ---- lifecycle

    /** The repository's images: its manifests that are neither referrers nor children of another of its manifests. */
    List<Image> images(String repository);

    /**
     * Deletes an image the lifecycle expires, unless it changed since it was evaluated: it must still exist, carry
     * exactly {@code tags}, and be no other manifest's child. Its tags go with it, and so do its children that
     * nothing else keeps (untagged, and the child of no other manifest), recursively.
     *
     * @return the digests of the deleted manifests, the image's first; empty when nothing was deleted
     */
    List<Digest> deleteImage(String repository, Digest digest, Set<String> tags);

    /**
     * Records pull times in one transaction; a manifest's time only moves forward. Unknown manifests are skipped.
     *
     * @param announce also record an {@code io.berth.image.pulled} event for each manifest pulled
     */
    void recordPulls(List<Pull> pulls, boolean announce);

    /** Stores the policy for its repository glob, replacing the one stored for that glob before. */
    void putLifecyclePolicy(StoredLifecyclePolicy policy);

    /** The stored lifecycle policies, by repository glob. */
    List<StoredLifecyclePolicy> lifecyclePolicies();

    boolean deleteLifecyclePolicy(String repositories);

    // ---- uploads

    void createUpload(Upload upload);

    Optional<Upload> upload(String id);

    /**
     * Advances a session to {@code size} bytes, with the SHA-256 state of those bytes (null when none could be saved)
     * in the same update: state and size never disagree, whatever crashes.
     */
    void updateUpload(String id, long size, long updatedAt, byte[] sha256State);

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

    // ---- garbage collection

    /**
     * The lock that lets one garbage collection at a time run on this database, across processes; empty when another
     * holds it.
     */
    Optional<CollectorLock> tryLockCollector();

    /** A garbage collection's reads and deletions; a dry one deletes nothing. */
    Sweep sweep(boolean dryRun);

    /** The outbox the writes above record their changes in, in the same transaction. */
    EventLog events();

    /** What the registry holds, for browsing. */
    Inventory inventory();

    /** Failed logins, for a login throttle shared by the nodes. */
    LoginFailures loginFailures();

    /**
     * Deletes a repository: its tags, manifests and blob links (the blobs are left to garbage collection), and the
     * repository itself; false when there was none.
     */
    boolean deleteRepository(String repository);

    /**
     * A number that changes whenever garbage collection deletes manifests: a process caching manifests without expiry
     * watches it to notice deletions made by another process.
     */
    long manifestEpoch();

    @Override
    void close();
}
